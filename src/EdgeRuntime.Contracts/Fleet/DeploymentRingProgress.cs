namespace EdgeRuntime.Contracts.Fleet;

/// <summary>
/// One ring of a deployment: the devices it adds (beyond the rings before it) and how many of them have not started the
/// version yet (<see cref="Pending"/>), are rolling it out, run it, or failed it.
/// </summary>
public sealed record DeploymentRingProgress
{
    public required int Index { get; init; }

    /// <summary>The cumulative percent of the deployment's devices reached once this ring has started.</summary>
    public required double Percent { get; init; }

    public int Devices { get; init; }

    public int Pending { get; init; }

    public int InProgress { get; init; }

    public int Succeeded { get; init; }

    public int Failed { get; init; }

    /// <summary>One of <see cref="DeploymentRingStates"/>.</summary>
    public required string State { get; init; }
}
