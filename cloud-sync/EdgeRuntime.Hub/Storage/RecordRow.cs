using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A stored telemetry record; <see cref="Payload"/> is the JSON the device sent.</summary>
internal sealed class RecordRow
{
    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("seq")]
    public long Sequence { get; set; }

    [Column("kind")]
    public string Kind { get; set; } = "";

    [Column("ts_ms")]
    public long TimestampMs { get; set; }

    [Column("type")]
    public string Type { get; set; } = "";

    [Column("model")]
    public string? Model { get; set; }

    [Column("version")]
    public string? Version { get; set; }

    [Column("payload")]
    public string Payload { get; set; } = "";

    [Column("received_ms")]
    public long ReceivedMs { get; set; }
}
