namespace EdgeRuntime.Contracts.Fleet;

/// <summary>States of a fleet deployment.</summary>
public static class DeploymentStates
{
    /// <summary>Rings start one after the other as each succeeds.</summary>
    public const string Running = "running";

    /// <summary>Stopped by hand: no ring starts and nothing rolls back on its own; the devices reached keep the version.</summary>
    public const string Halted = "halted";

    /// <summary>Ended: every device reached went back to the version it served before.</summary>
    public const string RolledBack = "rolled_back";

    /// <summary>Ended: every ring succeeded (or was advanced); the version is assigned to the devices.</summary>
    public const string Completed = "completed";

    /// <summary>Ended by hand where it stood: the devices reached keep the version, the others keep theirs.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>True for the states in which the deployment decides its devices' version of the model.</summary>
    public static bool IsActive(string state) => state is Running or Halted;
}
