namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A change of a deployment: its state and current ring afterwards, and why.</summary>
public sealed record DeploymentTransition(long AtMs, string State, int Ring, string? Reason);
