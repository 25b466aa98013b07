namespace EdgeRuntime.Device.Sync;

/// <summary>An artifact download failed; the message says why (a refused chunk, the hub's error, a wrong hash).</summary>
public sealed class ArtifactDownloadException : Exception
{
    public ArtifactDownloadException()
    {
    }

    public ArtifactDownloadException(string message)
        : base(message)
    {
    }

    public ArtifactDownloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
