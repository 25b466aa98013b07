using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>What the hub last heard from a device: its <c>status</c> message (models and store as JSON) and when it was last seen.</summary>
internal sealed class DeviceStatusRow
{
    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("state")]
    public string? State { get; set; }

    [Column("status_ms")]
    public long StatusMs { get; set; }

    [Column("last_seen_ms")]
    public long? LastSeenMs { get; set; }

    [Column("runtime_version")]
    public string? RuntimeVersion { get; set; }

    [Column("profile")]
    public string? Profile { get; set; }

    [Column("applied_revision")]
    public long AppliedRevision { get; set; }

    [Column("models")]
    public string? Models { get; set; }

    /// <summary>The rollouts part of the last online status (JSON); an offline status leaves it as it was.</summary>
    [Column("rollouts")]
    public string? Rollouts { get; set; }

    [Column("store")]
    public string? Store { get; set; }
}
