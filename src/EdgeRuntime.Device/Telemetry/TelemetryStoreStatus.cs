namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The store's depth and budget: records and their accounted bytes, the sequence range held
/// (<paramref name="FirstSequence"/> is 0 when empty; <paramref name="LastSequence"/> is the last ever assigned),
/// and per kind the records held and the records dropped since the store was created (quota, age, full channel).
/// </summary>
public sealed record TelemetryStoreStatus(
    long Records,
    long Bytes,
    long MaxBytes,
    long FirstSequence,
    long LastSequence,
    IReadOnlyDictionary<TelemetryKind, long> RecordsByKind,
    IReadOnlyDictionary<TelemetryKind, long> Dropped);
