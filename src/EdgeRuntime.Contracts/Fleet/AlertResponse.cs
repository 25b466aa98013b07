using System.Text.Json;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A drift report or firing alert a device sent, and how its delivery to the retraining webhook went.</summary>
public sealed record AlertResponse
{
    public required long Id { get; init; }

    public required string DeviceId { get; init; }

    public string? Model { get; init; }

    public string? Version { get; init; }

    /// <summary>The record type: <c>drift_report</c> or <c>alert_firing</c>.</summary>
    public required string Type { get; init; }

    public long Sequence { get; init; }

    public long ReceivedAtMs { get; init; }

    /// <summary><c>pending</c>, <c>delivered</c>, or <c>disabled</c> when no webhook is configured.</summary>
    public required string DeliveryState { get; init; }

    public int Attempts { get; init; }

    public string? LastError { get; init; }

    public long? DeliveredMs { get; init; }

    public JsonElement Report { get; init; }
}
