using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>A checked deployment request: every field resolved to its value or default, the target resolved to its devices.</summary>
internal sealed record DeploymentPlan(
    string Id,
    string Model,
    long Version,
    string? Tag,
    IReadOnlyList<string>? DeviceIds,
    IReadOnlyList<string> Members,
    RolloutSpec Rollout,
    IReadOnlyList<double> Rings,
    double SuccessThreshold,
    double ErrorThreshold,
    int RingBakeSeconds);
