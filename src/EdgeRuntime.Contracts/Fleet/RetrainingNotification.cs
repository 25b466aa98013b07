using System.Text.Json;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>The body the hub POSTs to the retraining webhook for a drift report or a firing alert.</summary>
public sealed record RetrainingNotification
{
    public required string DeviceId { get; init; }

    public string? Model { get; init; }

    public string? Version { get; init; }

    public required string Type { get; init; }

    public long Sequence { get; init; }

    public long ReceivedAtMs { get; init; }

    /// <summary>The record's payload as the device sent it.</summary>
    public JsonElement Report { get; init; }
}
