using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>
/// <c>POST /api/deployments</c>: roll <see cref="Model"/> <see cref="Version"/> out to a group of devices (the members of
/// <see cref="Tag"/> and/or <see cref="DeviceIds"/> at creation) in rings, each started only when the one before it
/// succeeded, and roll every device reached back when too many fail. Unset numbers take the documented defaults.
/// </summary>
public sealed record DeploymentRequest
{
    /// <summary>The deployment's id (the device-id alphabet, at most 64 characters); generated when unset.</summary>
    public string? Id { get; init; }

    public string? Model { get; init; }

    public string? Version { get; init; }

    /// <summary>Every device with this tag at creation is a member.</summary>
    public string? Tag { get; init; }

    /// <summary>These devices are members (besides the tag's).</summary>
    public IReadOnlyList<string>? DeviceIds { get; init; }

    /// <summary>How each device moves to the version and its guardrails; default <c>immediate</c>.</summary>
    public RolloutSpec? Rollout { get; init; }

    /// <summary>Cumulative percent of the members each ring reaches, strictly increasing, ending at 100; default <c>[1, 10, 50, 100]</c>.</summary>
    public IReadOnlyList<double>? Rings { get; init; }

    /// <summary>Share (0–1] of a ring's devices that must report the version promoted before the next ring starts; default 1.</summary>
    public double? SuccessThreshold { get; init; }

    /// <summary>
    /// Share [0–1) of the devices reached so far that may report the version failed or rolled back; one more and the
    /// deployment rolls back. Default 0: the first failure rolls back.
    /// </summary>
    public double? ErrorThreshold { get; init; }

    /// <summary>Seconds a ring runs at least before the next starts, however quickly it succeeds; default 0.</summary>
    public int? RingBakeSeconds { get; init; }
}
