using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A command sent to a device (arguments as JSON) and the device's result JSON once it answered.</summary>
internal sealed class CommandRow
{
    [Column("id")]
    public string Id { get; set; } = "";

    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("name")]
    public string Name { get; set; } = "";

    [Column("arguments")]
    public string? Arguments { get; set; }

    [Column("issued_ms")]
    public long IssuedMs { get; set; }

    [Column("result")]
    public string? Result { get; set; }

    [Column("completed_ms")]
    public long? CompletedMs { get; set; }
}
