namespace EdgeRuntime.Contracts.Fleet;

/// <summary>States of one ring of a deployment.</summary>
public static class DeploymentRingStates
{
    /// <summary>Not started: its devices keep their version.</summary>
    public const string Waiting = "waiting";

    public const string Running = "running";

    /// <summary>The next ring started (its success threshold was met, or it was advanced by hand).</summary>
    public const string Succeeded = "succeeded";

    /// <summary>The current ring of a halted or cancelled deployment.</summary>
    public const string Halted = "halted";

    /// <summary>Its devices went back to their previous version.</summary>
    public const string RolledBack = "rolled_back";
}
