namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A device that reported a deployment's version failed or rolled back, in which ring, and the device's reason.</summary>
public sealed record DeploymentFailure(string DeviceId, int Ring, string? Reason);
