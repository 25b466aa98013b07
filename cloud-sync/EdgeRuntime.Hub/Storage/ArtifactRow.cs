using EdgeRuntime.Contracts.Sync;
using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A content-addressed artifact: id = SHA-256 (hex), and the SHA-256 of each <see cref="ChunkBytes"/> slice taken at upload.</summary>
internal sealed class ArtifactRow
{
    [Column("id")]
    public string Id { get; set; } = "";

    [Column("size")]
    public long Size { get; set; }

    [Column("chunk_bytes")]
    public int ChunkBytes { get; set; }

    /// <summary>32 bytes per chunk, in order.</summary>
    [Column("chunk_index")]
    public byte[] ChunkIndex { get; set; } = [];

    [Column("created_ms")]
    public long CreatedMs { get; set; }

    /// <summary>What the artifact holds (<see cref="ArtifactFormats"/>): a hub-signed package; raw ONNX only in stores from before packages.</summary>
    [Column("format")]
    public string Format { get; set; } = ArtifactFormats.EdgePackage;
}
