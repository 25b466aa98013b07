namespace EdgeRuntime.Device.Telemetry;

/// <summary>A record to append; the store assigns its sequence number. <paramref name="Payload"/> is a JSON document.</summary>
public readonly record struct TelemetryEntry(TelemetryKind Kind, string Type, string? Model, string? Version, string Payload, long TimestampMs);
