using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A fleet deployment and its progress ring by ring (times are Unix milliseconds; ring indexes start at 0).</summary>
public sealed record DeploymentResponse
{
    public required string Id { get; init; }

    public required string Model { get; init; }

    public required string Version { get; init; }

    public string? Tag { get; init; }

    public IReadOnlyList<string>? DeviceIds { get; init; }

    public required RolloutSpec Rollout { get; init; }

    public double SuccessThreshold { get; init; }

    public double ErrorThreshold { get; init; }

    public int RingBakeSeconds { get; init; }

    /// <summary>One of <see cref="DeploymentStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>The ring running now, or the last one started.</summary>
    public int CurrentRing { get; init; }

    /// <summary>Why the deployment is in its state (the ring and devices that failed, or who halted it).</summary>
    public string? Reason { get; init; }

    public long CreatedMs { get; init; }

    public long UpdatedMs { get; init; }

    /// <summary>How many devices the deployment targets.</summary>
    public int Devices { get; init; }

    public IReadOnlyList<DeploymentRingProgress> Rings { get; init; } = [];

    /// <summary>The first devices that reported the version failed or rolled back, and why.</summary>
    public IReadOnlyList<DeploymentFailure> Failures { get; init; } = [];

    /// <summary>Every change of state or ring, oldest first.</summary>
    public IReadOnlyList<DeploymentTransition> Transitions { get; init; } = [];

    /// <summary>The assignments that keep the version on the devices once the deployment completed or was cancelled.</summary>
    public IReadOnlyList<long>? AssignmentIds { get; init; }
}
