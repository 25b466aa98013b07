using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// One feature's baseline histogram. Bin <c>i</c> holds the values in [<c>edges[i]</c>, <c>edges[i+1]</c>);
/// values below the first interior edge fall in the first bin, values from the last interior edge up (past
/// the maximum too) in the last, so every finite value lands in exactly one bin.
/// </summary>
public sealed record FeatureBaseline
{
    /// <summary>The feature, e.g. <c>input[3]</c>.</summary>
    [JsonPropertyName("feature")]
    public required string Feature { get; init; }

    /// <summary>n+1 non-decreasing bin edges; the first and last are the observed minimum and maximum.</summary>
    [JsonPropertyName("edges")]
    public required IReadOnlyList<double> Edges { get; init; }

    /// <summary>The share of the baseline's values in each of the n bins; they sum to 1.</summary>
    [JsonPropertyName("proportions")]
    public required IReadOnlyList<double> Proportions { get; init; }

    /// <summary>Optional quantiles at probabilities 0, 1/m, ..., 1 (for people and the hub; the device works from the bins).</summary>
    [JsonPropertyName("quantiles")]
    public IReadOnlyList<double>? Quantiles { get; init; }

    [JsonPropertyName("mean")]
    public double Mean { get; init; }

    [JsonPropertyName("std_dev")]
    public double StdDev { get; init; }
}
