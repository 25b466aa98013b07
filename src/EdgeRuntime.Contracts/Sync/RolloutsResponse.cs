namespace EdgeRuntime.Contracts.Sync;

/// <summary><c>GET /v2/edge/rollouts</c>: every model the rollout controller manages.</summary>
public sealed record RolloutsResponse(IReadOnlyList<DeviceRolloutStatus> Rollouts);

/// <summary>The answer to a rollout call on the local admin API: the model's rollout after it, and what happened.</summary>
public sealed record RolloutResponse(DeviceRolloutStatus Rollout, string? Message = null);
