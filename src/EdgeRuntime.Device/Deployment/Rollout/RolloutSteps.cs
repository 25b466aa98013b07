namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// The steps of staging and activating a version, in order. Each step's effect is durable before the next begins and
/// redoing any step is harmless, which is what makes a restart after a power cut at any of them converge.
/// </summary>
public static class RolloutSteps
{
    /// <summary>The package is stored under <c>&lt;data&gt;/rollout/packages</c>.</summary>
    public const string PackageSaved = "package_saved";

    /// <summary><c>rollout.json</c> names the candidate in phase staging.</summary>
    public const string StateStaging = "state_staging";

    /// <summary>Signature and file hashes checked.</summary>
    public const string Verified = "verified";

    /// <summary>Files extracted and flushed into a hidden staging directory beside the versions.</summary>
    public const string Unpacked = "unpacked";

    /// <summary>The staging directory renamed to <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;</c>.</summary>
    public const string Installed = "installed";

    /// <summary>The candidate loaded (it takes no traffic yet).</summary>
    public const string Loaded = "loaded";

    /// <summary>The smoke test passed.</summary>
    public const string SmokeTested = "smoke_tested";

    /// <summary><c>rollout.json</c> moved to the strategy's first phase (or, for immediate, made the candidate stable).</summary>
    public const string Activated = "activated";

    /// <summary>The old versions beyond the kept ones removed.</summary>
    public const string Pruned = "pruned";

    public static IReadOnlyList<string> All { get; } = [PackageSaved, StateStaging, Verified, Unpacked, Installed, Loaded, SmokeTested, Activated, Pruned];
}
