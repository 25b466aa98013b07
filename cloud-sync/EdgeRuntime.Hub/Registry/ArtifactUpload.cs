namespace EdgeRuntime.Hub.Registry;

/// <summary>An upload received into a temporary file, with its SHA-256 and size; disposing deletes the file.</summary>
internal sealed class ArtifactUpload(string path, string sha256, long size) : IDisposable
{
    public string Path => path;

    public string Sha256 => sha256;

    public long Size => size;

    public void Dispose() => File.Delete(path);
}
