using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A device's current desired state: its revision and the <c>DesiredState</c> JSON as published.</summary>
internal sealed class DesiredRow
{
    [Column("device_id")]
    public string DeviceId { get; set; } = "";

    [Column("revision")]
    public long Revision { get; set; }

    /// <summary>The models part alone, to tell whether a recomputation changed anything.</summary>
    [Column("models")]
    public string Models { get; set; } = "";

    [Column("document")]
    public string Document { get; set; } = "";
}
