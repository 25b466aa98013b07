using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>
/// The drift of one model version over one closed window of traffic: every monitored feature (inputs first,
/// then outputs) and the worst of their states. Times are Unix milliseconds.
/// </summary>
public sealed record DriftReport(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("window_start_ms")] long WindowStartMs,
    [property: JsonPropertyName("window_end_ms")] long WindowEndMs,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("state")] DriftState State,
    [property: JsonPropertyName("features")] IReadOnlyList<FeatureDrift> Features);
