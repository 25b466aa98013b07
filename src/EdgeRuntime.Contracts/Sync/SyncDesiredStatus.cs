namespace EdgeRuntime.Contracts.Sync;

/// <summary>The newest desired revision received, the one applied, and what the device is doing about it (<c>idle</c>, <c>applying</c>, <c>applied</c>, <c>failed</c>).</summary>
public sealed record SyncDesiredStatus(long Revision, long AppliedRevision, string State, string? Reason = null);
