namespace EdgeRuntime.Hub.Storage;

/// <summary>A parsed telemetry batch of one device: its records, whose payloads are slices of <see cref="Buffer"/>.</summary>
internal sealed class IngestBatch(string deviceId, ReadOnlyMemory<byte> buffer, List<IngestRecord> records)
{
    public string DeviceId { get; } = deviceId;

    public ReadOnlyMemory<byte> Buffer { get; } = buffer;

    public List<IngestRecord> Records { get; } = records;

    public ReadOnlySpan<byte> Payload(in IngestRecord record) => Buffer.Span.Slice(record.PayloadStart, record.PayloadLength);
}
