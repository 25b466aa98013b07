namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>How live requests reach a candidate during a rollout (section <c>EdgeRuntime:Rollout</c>).</summary>
public sealed class RolloutTrafficOptions
{
    public const string SectionName = "EdgeRuntime:Rollout";

    /// <summary>
    /// Mirrored copies waiting for the candidate at most (all models together). A copy that finds the queue full is
    /// dropped and counted, so a slow candidate never slows the callers down.
    /// </summary>
    public int MirrorQueueCapacity { get; set; } = 64;
}
