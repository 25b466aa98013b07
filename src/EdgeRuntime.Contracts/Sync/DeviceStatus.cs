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

    public DeviceStoreStatus? Store { get; init; }
}

/// <summary>One model version a device holds: its state (<c>READY</c>, <c>UNAVAILABLE</c>, …) and the execution provider it runs on.</summary>
public sealed record DeviceModelStatus(string Name, string Version, string State, string? ExecutionProvider, string? Reason = null);

/// <summary>How much the device's telemetry store holds for the hub.</summary>
public sealed record DeviceStoreStatus(long Records, long Bytes, long MaxBytes, long FirstSequence, long LastSequence, long Dropped);
