namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// A record as stored: its per-device <paramref name="Sequence"/> (monotonic, never reused), what it is, when it
/// happened (Unix milliseconds), its type (e.g. <c>model_loaded</c>), the model and version it is about, and a JSON
/// <paramref name="Payload"/>.
/// </summary>
public sealed record TelemetryRecord(long Sequence, TelemetryKind Kind, long TimestampMs, string Type, string? Model, string? Version, string Payload);
