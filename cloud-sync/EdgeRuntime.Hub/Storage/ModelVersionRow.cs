using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A registered model version and the artifact it serves.</summary>
internal sealed class ModelVersionRow
{
    [Column("name")]
    public string Name { get; set; } = "";

    [Column("version")]
    public long Version { get; set; }

    [Column("artifact_id")]
    public string ArtifactId { get; set; } = "";

    [Column("size")]
    public long Size { get; set; }

    [Column("created_ms")]
    public long CreatedMs { get; set; }

    [Column("retired")]
    public bool Retired { get; set; }

    /// <summary>
    /// SHA-256 of the bytes uploaded for this version, which decides whether a repeated upload is the same (the stored
    /// package differs from them: the hub signs it, and signatures are randomised). Null in stores from before packages,
    /// where the artifact was the upload itself.
    /// </summary>
    [Column("upload_sha256")]
    public string? UploadSha256 { get; set; }
}
