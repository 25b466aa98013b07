namespace EdgeRuntime.Contracts.Telemetry;

/// <summary><c>GET /v2/edge/telemetry</c>: how much the telemetry store holds for the hub, and what it had to drop.</summary>
public sealed record TelemetryStatusResponse(
    long Records,
    long Bytes,
    long MaxBytes,
    long FirstSequence,
    long LastSequence,
    IReadOnlyDictionary<string, long> RecordsByKind,
    IReadOnlyDictionary<string, long> Dropped);
