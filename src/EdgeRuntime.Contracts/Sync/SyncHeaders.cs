namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The MQTT 5 user properties and content types of the hub link. JSON messages carry
/// <see cref="Schema"/> = <see cref="SyncProtocol.SchemaVersion"/>; a gzip-compressed payload says so with
/// <see cref="ContentEncoding"/>. An artifact chunk's bytes travel raw, described by the <c>artifact-*</c> properties.
/// </summary>
public static class SyncHeaders
{
    /// <summary>User property: the contract's schema version of a JSON payload.</summary>
    public const string Schema = "schema";

    /// <summary>User property: <see cref="Gzip"/> when the payload is gzip-compressed.</summary>
    public const string ContentEncoding = "content-encoding";

    public const string Gzip = "gzip";

    /// <summary>MQTT 5 content type of JSON payloads.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>MQTT 5 content type of an artifact chunk's raw bytes.</summary>
    public const string ChunkContentType = "application/octet-stream";

    /// <summary>Chunk response: the artifact id (its SHA-256, lower-case hex).</summary>
    public const string ArtifactId = "artifact-id";

    /// <summary>Chunk response: the chunk's offset in the artifact, in bytes.</summary>
    public const string ArtifactOffset = "artifact-offset";

    /// <summary>Chunk response: the artifact's whole size, in bytes.</summary>
    public const string ArtifactSize = "artifact-size";

    /// <summary>Chunk response: SHA-256 of this chunk's bytes (lower-case hex), taken from the hub's index at upload.</summary>
    public const string ChunkSha256 = "chunk-sha256";

    /// <summary>Response to a request the peer could not serve (unknown artifact, bad range, unknown command): why.</summary>
    public const string Error = "error";
}
