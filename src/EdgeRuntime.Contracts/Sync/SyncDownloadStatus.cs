namespace EdgeRuntime.Contracts.Sync;

/// <summary>An artifact download in progress: which, for which model version, and how many bytes are verified of how many.</summary>
public sealed record SyncDownloadStatus(string ArtifactId, string Model, string Version, long Offset, long Size);
