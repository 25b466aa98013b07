namespace EdgeRuntime.Device.Sync;

/// <summary><c>&lt;data&gt;/sync/state.json</c>: the desired-state revision the device last finished applying.</summary>
internal sealed record SyncState(long AppliedRevision);
