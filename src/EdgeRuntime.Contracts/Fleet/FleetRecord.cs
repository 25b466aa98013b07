using System.Text.Json;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>One telemetry record as the hub stored it; <see cref="Payload"/> is the record's JSON as the device sent it.</summary>
public sealed record FleetRecord
{
    public required string DeviceId { get; init; }

    public required long Sequence { get; init; }

    public required string Kind { get; init; }

    public long TimestampMs { get; init; }

    public required string Type { get; init; }

    public string? Model { get; init; }

    public string? Version { get; init; }

    public long ReceivedMs { get; init; }

    public JsonElement Payload { get; init; }
}
