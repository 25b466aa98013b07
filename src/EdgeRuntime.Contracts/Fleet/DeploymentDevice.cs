namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A member of a deployment: its ring, its outcome (<see cref="DeploymentDeviceOutcomes"/>) and the device's reason for a failure.</summary>
public sealed record DeploymentDevice
{
    public required string DeviceId { get; init; }

    public int Ring { get; init; }

    /// <summary>False while the device's ring has not started: its desired state does not name the version yet.</summary>
    public bool Reached { get; init; }

    public required string Outcome { get; init; }

    public string? Reason { get; init; }

    /// <summary>When the outcome last changed; 0 before it did.</summary>
    public long UpdatedMs { get; init; }
}
