using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A model version assigned to one device or to every device with a tag.</summary>
internal sealed class AssignmentRow
{
    [Column("id")]
    public long Id { get; set; }

    [Column("model")]
    public string Model { get; set; } = "";

    [Column("version")]
    public long Version { get; set; }

    [Column("device_id")]
    public string? DeviceId { get; set; }

    [Column("tag")]
    public string? Tag { get; set; }

    [Column("strategy")]
    public string Strategy { get; set; } = "";

    /// <summary>The whole rollout spec as JSON; null for assignments made before specs were stored (strategy only).</summary>
    [Column("rollout")]
    public string? Rollout { get; set; }

    [Column("created_ms")]
    public long CreatedMs { get; set; }
}
