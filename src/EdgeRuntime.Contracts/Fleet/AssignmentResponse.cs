using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>An assignment and, when it was just created or deleted, the devices whose desired state changed.</summary>
public sealed record AssignmentResponse
{
    public required long Id { get; init; }

    public required string Model { get; init; }

    public required string Version { get; init; }

    public string? DeviceId { get; init; }

    public string? Tag { get; init; }

    public required string Strategy { get; init; }

    public RolloutSpec? Rollout { get; init; }

    public long CreatedMs { get; init; }

    public IReadOnlyList<DeviceRevision>? Devices { get; init; }
}
