using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// The distribution a model version was trained or validated on, per feature, as <c>manifest.json</c>'s
/// <c>drift_baseline</c> carries it: the device compares live traffic against it (see the README's
/// "Drift detection"). <c>edge-runtime baseline</c> computes one from a data file.
/// </summary>
public sealed record DriftBaseline
{
    /// <summary>One entry per input feature, named by the feature rule (<c>input</c>, <c>input[3]</c>).</summary>
    [JsonPropertyName("inputs")]
    public required IReadOnlyList<FeatureBaseline> Inputs { get; init; }

    /// <summary>The model's output distribution under the same rule, when it was computed with the model.</summary>
    [JsonPropertyName("outputs")]
    public IReadOnlyList<FeatureBaseline>? Outputs { get; init; }

    /// <summary>How many rows (indices along the first dimension) the baseline was computed from.</summary>
    [JsonPropertyName("rows")]
    public long Rows { get; init; }

    /// <summary>Where the data came from, e.g. the file name.</summary>
    [JsonPropertyName("source")]
    public string? Source { get; init; }
}
