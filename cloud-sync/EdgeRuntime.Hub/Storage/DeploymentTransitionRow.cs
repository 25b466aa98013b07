using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A recorded change of a deployment: its state and ring afterwards, and why.</summary>
internal sealed class DeploymentTransitionRow
{
    [Column("id")]
    public long Id { get; set; }

    [Column("deployment_id")]
    public string DeploymentId { get; set; } = "";

    [Column("at_ms")]
    public long AtMs { get; set; }

    [Column("state")]
    public string State { get; set; } = "";

    [Column("ring")]
    public int Ring { get; set; }

    [Column("reason")]
    public string? Reason { get; set; }
}
