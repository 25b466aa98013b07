namespace EdgeRuntime.Contracts.Sync;

/// <summary>How far the uplink got: records the hub accepted, the last acknowledged sequence, and the store records still to send.</summary>
public sealed record SyncUplinkStatus(long PublishedRecords, long LastAckedSeq, long Backlog);
