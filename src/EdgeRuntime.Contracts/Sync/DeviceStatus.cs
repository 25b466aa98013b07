namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The retained <c>status</c> message: published on every connect and when what the device serves changes; its
/// will twin (same topic, retained) has <see cref="State"/> <c>offline</c>.
/// </summary>
public sealed record DeviceStatus
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required string DeviceId { get; init; }

    /// <summary><see cref="SyncProtocol.Online"/> or <see cref="SyncProtocol.Offline"/>.</summary>
    public required string State { get; init; }

    /// <summary>When the device wrote it, Unix milliseconds.</summary>
    public long TimestampMs { get; init; }

    public string? RuntimeVersion { get; init; }

    /// <summary>The device profile (hardware class) it runs.</summary>
    public string? Profile { get; init; }

    /// <summary>The revision of the desired state the device last finished applying; 0 before any.</summary>
    public long AppliedRevision { get; init; }

    public IReadOnlyList<DeviceModelStatus> Models { get; init; } = [];

    /// <summary>One entry per model the rollout controller manages.</summary>
    public IReadOnlyList<DeviceRolloutStatus> Rollouts { get; init; } = [];

    public DeviceStoreStatus? Store { get; init; }
}

/// <summary>One model version a device holds: its state (<c>READY</c>, <c>UNAVAILABLE</c>, …) and the execution provider it runs on.</summary>
public sealed record DeviceModelStatus(string Name, string Version, string State, string? ExecutionProvider, string? Reason = null);

/// <summary>How much the device's telemetry store holds for the hub.</summary>
public sealed record DeviceStoreStatus(long Records, long Bytes, long MaxBytes, long FirstSequence, long LastSequence, long Dropped);

/// <summary>
/// A model's rollout on a device: the stable version, the candidate and its phase, and how the last rollout ended
/// (<see cref="RolloutOutcomes"/>), which the hub's fleet rollouts count per ring.
/// </summary>
public sealed record DeviceRolloutStatus
{
    public required string Model { get; init; }

    public string? Stable { get; init; }

    public string? Candidate { get; init; }

    public string? Strategy { get; init; }

    /// <summary>One of <see cref="RolloutPhases"/>.</summary>
    public required string Phase { get; init; }

    public double? SplitPercent { get; init; }

    public string? DeploymentId { get; init; }

    /// <summary>The version the last finished rollout was about, how it ended, and why.</summary>
    public string? LastVersion { get; init; }

    public string? LastOutcome { get; init; }

    public string? LastReason { get; init; }

    /// <summary>When the current phase began, Unix milliseconds.</summary>
    public long PhaseSinceMs { get; init; }

    /// <summary>Versions kept on disk for rollback, the stable one first.</summary>
    public IReadOnlyList<string>? Kept { get; init; }

    /// <summary>What the candidate and the stable version showed in this rollout (local API and status).</summary>
    public long? StableRequests { get; init; }

    public long? StableErrors { get; init; }

    public long? CandidateRequests { get; init; }

    public long? CandidateErrors { get; init; }

    public double? StableP95Ms { get; init; }

    public double? CandidateP95Ms { get; init; }

    public ShadowComparison? Comparison { get; init; }
}
