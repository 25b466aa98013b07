namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>How the device stages and rolls out model versions and routes traffic during a rollout, from <c>EdgeRuntime:Rollout</c>.</summary>
public sealed class RolloutOptions
{
    public const string SectionName = "EdgeRuntime:Rollout";

    /// <summary>Versions of a model kept on disk for rollback, the stable one included; older ones are removed.</summary>
    public int KeepVersions { get; set; } = 3;

    /// <summary>Disk budget of a model's kept versions in bytes; the oldest non-serving versions go first. 0: no budget.</summary>
    public long MaxModelBytes { get; set; }

    /// <summary>
    /// Mirrored copies waiting for the candidate at most (all models together). A copy that finds the queue full is
    /// dropped and counted, so a slow candidate never slows the callers down.
    /// </summary>
    public int MirrorQueueCapacity { get; set; } = 64;

    /// <summary>The largest package the local admin API accepts, in bytes.</summary>
    public long MaxPackageBytes { get; set; } = 1L << 30;

    /// <summary>How often, in seconds, a candidate that gets copies reports its comparison with the stable version.</summary>
    public int ShadowReportSeconds { get; set; } = 30;

    /// <summary>Percent of requests the candidate answers when a canary or blue-green split names none.</summary>
    public double DefaultSplitPercent { get; set; } = 20;

    /// <summary>Fraction of requests mirrored in shadow when the rollout names none (blue-green's mirror phase copies all).</summary>
    public double DefaultShadowSampleRate { get; set; } = 0.25;

    /// <summary>
    /// Fault injection for crash tests: the name of a <see cref="RolloutSteps"/> step at which the controller logs
    /// "Rollout paused at step …" and waits until the process is killed. Leave unset in production.
    /// </summary>
    public string? PauseAt { get; set; }
}
