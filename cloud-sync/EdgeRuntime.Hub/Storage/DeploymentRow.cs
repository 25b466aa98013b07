using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>
/// A fleet deployment: what it rolls out (the rollout spec as JSON, without its deployment id), to whom (tag and
/// comma-separated device ids as requested), its rings (comma-separated cumulative percents), thresholds and where it stands.
/// </summary>
internal sealed class DeploymentRow
{
    [Column("id")]
    public string Id { get; set; } = "";

    [Column("model")]
    public string Model { get; set; } = "";

    [Column("version")]
    public long Version { get; set; }

    [Column("tag")]
    public string? Tag { get; set; }

    [Column("device_ids")]
    public string? DeviceIds { get; set; }

    [Column("rollout")]
    public string Rollout { get; set; } = "";

    [Column("rings")]
    public string Rings { get; set; } = "";

    [Column("success_threshold")]
    public double SuccessThreshold { get; set; }

    [Column("error_threshold")]
    public double ErrorThreshold { get; set; }

    [Column("ring_bake_seconds")]
    public int RingBakeSeconds { get; set; }

    [Column("state")]
    public string State { get; set; } = "";

    [Column("current_ring")]
    public int CurrentRing { get; set; }

    /// <summary>When the current ring started: its bake time counts from here.</summary>
    [Column("ring_started_ms")]
    public long RingStartedMs { get; set; }

    [Column("reason")]
    public string? Reason { get; set; }

    [Column("created_ms")]
    public long CreatedMs { get; set; }

    [Column("updated_ms")]
    public long UpdatedMs { get; set; }

    /// <summary>Comma-separated ids of the assignments made when it completed or was cancelled.</summary>
    [Column("assignment_ids")]
    public string? AssignmentIds { get; set; }
}
