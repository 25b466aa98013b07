namespace EdgeRuntime.Device.Sync;

/// <summary>A download in progress: the artifact, the model version it is for, and how many of its bytes are verified.</summary>
public sealed record DownloadProgress(string ArtifactId, string Model, string Version, long Offset, long Size);
