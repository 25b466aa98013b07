namespace EdgeRuntime.Contracts.Fleet;

/// <summary>Where one member of a deployment stands, from its last status.</summary>
public static class DeploymentDeviceOutcomes
{
    /// <summary>The device has not reported the version as a candidate yet (its ring has not started, or it is offline).</summary>
    public const string Pending = "pending";

    /// <summary>The version is the device's candidate (staging, mirror, split, canary or shadow).</summary>
    public const string InProgress = "in_progress";

    /// <summary>The version is the device's stable version.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>The device reported the version failed (staging, smoke test) or rolled back (a guardrail tripped).</summary>
    public const string Failed = "failed";
}
