using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A registered device with its live status as the hub last heard it (times are Unix milliseconds).</summary>
public sealed record DeviceSummary
{
    public required string Id { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public long CreatedMs { get; init; }

    /// <summary>True while the device's last <c>status</c> said <c>online</c>.</summary>
    public bool Online { get; init; }

    /// <summary>When the hub last received any message from the device; null before the first.</summary>
    public long? LastSeenMs { get; init; }

    public string? RuntimeVersion { get; init; }

    public string? Profile { get; init; }

    /// <summary>The desired revision the device reports it applied.</summary>
    public long AppliedRevision { get; init; }

    /// <summary>The hub's current desired revision for the device; 0 before any assignment.</summary>
    public long DesiredRevision { get; init; }

    public IReadOnlyList<DeviceModelStatus> Models { get; init; } = [];

    /// <summary>The rollout of each model the device's rollout controller manages, as last reported (kept while it is offline).</summary>
    public IReadOnlyList<DeviceRolloutStatus> Rollouts { get; init; } = [];

    public DeviceStoreStatus? Store { get; init; }
}
