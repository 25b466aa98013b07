namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// Asks the hub for <see cref="Length"/> bytes of an artifact from <see cref="Offset"/>. Sent on
/// <c>artifacts/request</c> with the MQTT 5 response topic <c>artifacts/response</c> and correlation data, which the
/// answer echoes; the answer's payload is the raw bytes, described by <see cref="SyncHeaders"/> user properties.
/// </summary>
public sealed record ArtifactChunkRequest
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required string ArtifactId { get; init; }

    public required long Offset { get; init; }

    public required int Length { get; init; }
}
