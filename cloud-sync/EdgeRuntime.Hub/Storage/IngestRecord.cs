namespace EdgeRuntime.Hub.Storage;

/// <summary>
/// One record of a parsed telemetry batch. <see cref="PayloadStart"/> and <see cref="PayloadLength"/> locate the
/// record's payload JSON in the batch's buffer, so it is stored without being copied into a string.
/// </summary>
internal readonly record struct IngestRecord(
    long Sequence,
    string Kind,
    long TimestampMs,
    string Type,
    string? Model,
    string? Version,
    int PayloadStart,
    int PayloadLength);
