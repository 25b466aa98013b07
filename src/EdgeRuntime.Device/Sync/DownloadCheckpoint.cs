namespace EdgeRuntime.Device.Sync;

/// <summary>The sidecar of a partial download: how many bytes of <see cref="ArtifactId"/>'s <c>.part</c> file are verified.</summary>
internal sealed record DownloadCheckpoint(string ArtifactId, long Size, long VerifiedOffset);
