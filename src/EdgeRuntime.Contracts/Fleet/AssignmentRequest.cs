using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>POST /api/assignments</c>: serve <see cref="Model"/> <see cref="Version"/> on one device or on every device with a tag.</summary>
public sealed record AssignmentRequest
{
    public string? Model { get; init; }

    public string? Version { get; init; }

    /// <summary>Exactly one of <see cref="DeviceId"/> and <see cref="Tag"/>.</summary>
    public string? DeviceId { get; init; }

    public string? Tag { get; init; }

    /// <summary>Short for <c>rollout.strategy</c> (one of <see cref="RolloutStrategies"/>); kept for older clients.</summary>
    public string? Strategy { get; init; }

    /// <summary>How devices move to the version and the guardrails that roll it back; default <c>immediate</c>.</summary>
    public RolloutSpec? Rollout { get; init; }
}
