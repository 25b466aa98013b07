using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A drift report or firing alert worth telling the retraining pipeline about, and its delivery state.</summary>
internal sealed class AlertRow
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Disabled = "disabled";

    [Column("id")]
    public long Id { get; set; }

    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("seq")]
    public long Sequence { get; set; }

    [Column("type")]
    public string Type { get; set; } = "";

    [Column("model")]
    public string? Model { get; set; }

    [Column("version")]
    public string? Version { get; set; }

    [Column("received_ms")]
    public long ReceivedMs { get; set; }

    [Column("payload")]
    public string Payload { get; set; } = "";

    [Column("state")]
    public string State { get; set; } = Pending;

    [Column("attempts")]
    public int Attempts { get; set; }

    [Column("next_attempt_ms")]
    public long NextAttemptMs { get; set; }

    [Column("last_error")]
    public string? LastError { get; set; }

    [Column("delivered_ms")]
    public long? DeliveredMs { get; set; }
}
