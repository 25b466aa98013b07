using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>
/// A device of a deployment: its place in the deployment's order (<see cref="Position"/>), the ring that reaches it,
/// and its outcome as last evaluated from its status.
/// </summary>
internal sealed class DeploymentMemberRow
{
    [Column("deployment_id")]
    public string DeploymentId { get; set; } = "";

    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("ring")]
    public int Ring { get; set; }

    [Column("position")]
    public int Position { get; set; }

    [Column("outcome")]
    public string Outcome { get; set; } = "";

    [Column("reason")]
    public string? Reason { get; set; }

    [Column("updated_ms")]
    public long UpdatedMs { get; set; }

    /// <summary>The device's last reported rollouts (JSON), when read joined with its status; null when none.</summary>
    [Column("rollouts")]
    public string? Rollouts { get; set; }
}
