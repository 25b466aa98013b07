namespace EdgeRuntime.Hub.Registry;

/// <summary>An artifact chunk's bytes and their SHA-256 (hex), or why it cannot be served.</summary>
internal sealed record ChunkReadResult(byte[]? Bytes, string? Sha256, string? Error)
{
    public static ChunkReadResult Ok(byte[] bytes, string sha256) => new(bytes, sha256, null);

    public static ChunkReadResult Fail(string error) => new(null, null, error);
}
