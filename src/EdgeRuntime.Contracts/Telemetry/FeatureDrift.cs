using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>
/// One feature's drift over a window: the population stability index and the Kolmogorov–Smirnov statistic
/// against the baseline, and the state the thresholds give them (the worse of the two).
/// </summary>
public sealed record FeatureDrift(
    [property: JsonPropertyName("feature")] string Feature,
    [property: JsonPropertyName("psi")] double Psi,
    [property: JsonPropertyName("ks")] double Ks,
    [property: JsonPropertyName("state")] DriftState State);
