namespace EdgeRuntime.Hub.Hosting;

/// <summary><c>Hub:Artifacts</c>: limits of uploaded model artifacts.</summary>
internal sealed class ArtifactOptions
{
    /// <summary>Largest upload accepted, in bytes.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>Largest total an uploaded package may unpack to, counted as it is decompressed (zip bombs stop there).</summary>
    public long MaxUnpackedBytes { get; set; } = 2L << 30;

    /// <summary>Granularity of the per-chunk SHA-256 index taken at upload, in bytes.</summary>
    public int ChunkBytes { get; set; } = 256 * 1024;
}
