using EdgeRuntime.Contracts.Telemetry;

namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// A run of store records on <c>telemetry</c> (metrics, samples) or <c>events</c> (events, drift reports).
/// <see cref="FromSeq"/>..<see cref="ToSeq"/> is the store range the batch was read from; the records of that range
/// are split between the two topics by kind, so one topic's batch may hold fewer records than the range. The hub
/// stores each record once by (device, sequence).
/// </summary>
public sealed record TelemetryBatch
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required string DeviceId { get; init; }

    public long FromSeq { get; init; }

    public long ToSeq { get; init; }

    public required IReadOnlyList<TelemetryRecordEntry> Records { get; init; }
}
