using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// A model's rollout as <c>&lt;repo&gt;/&lt;model&gt;/rollout.json</c> keeps it: the stable version, the candidate and its
/// phase, how the last rollout ended, and the versions kept for rollback. Written whole by temp file, fsync and rename
/// before the step it describes takes effect, so a restart at any point finds either the old or the new state. While
/// the file exists the repository serves exactly <see cref="Stable"/> and <see cref="Candidate"/> of the model.
/// </summary>
public sealed record RolloutState
{
    public int SchemaVersion { get; init; } = 1;

    public required string Model { get; init; }

    /// <summary>The version unversioned requests go to (outside a split); null before the first version was promoted.</summary>
    public string? Stable { get; init; }

    public string? Candidate { get; init; }

    /// <summary>One of <see cref="RolloutPhases"/>; <see cref="RolloutPhases.Stable"/> when there is no candidate.</summary>
    public string Phase { get; init; } = RolloutPhases.Stable;

    /// <summary>The candidate's rollout; null without a candidate.</summary>
    public RolloutSpec? Spec { get; init; }

    /// <summary>Unique per candidate rollout.</summary>
    public string? RolloutId { get; init; }

    /// <summary>Where the candidate comes from: <see cref="RolloutSources"/>.</summary>
    public string? Source { get; init; }

    /// <summary>The candidate's package (its SHA-256, which is also its artifact id), kept under <c>&lt;data&gt;/rollout/packages</c> until installed.</summary>
    public string? Package { get; init; }

    /// <summary>What <see cref="Package"/> holds: <see cref="ArtifactFormats.EdgePackage"/>, or <see cref="ArtifactFormats.Onnx"/> for a bare model where unsigned models are allowed.</summary>
    public string? Format { get; init; }

    /// <summary>The hub's desired revision that asked for the candidate, when it came from the hub.</summary>
    public long? Revision { get; init; }

    /// <summary>When the current phase began, Unix milliseconds.</summary>
    public long PhaseSinceMs { get; init; }

    /// <summary>Versions on disk kept for rollback, most recently stable first (the stable version leads).</summary>
    public IReadOnlyList<string> Kept { get; init; } = [];

    /// <summary>The version the last finished rollout was about, how it ended (<see cref="RolloutOutcomes"/>) and why.</summary>
    public string? LastVersion { get; init; }

    public string? LastOutcome { get; init; }

    public string? LastReason { get; init; }

    /// <summary>The package of <see cref="LastVersion"/>, so the same failed package is not tried again for the same ask.</summary>
    public string? LastPackage { get; init; }

    /// <summary>The hub's fleet deployment the last finished rollout belonged to; a new deployment may try a failed package again.</summary>
    public string? LastDeploymentId { get; init; }

    /// <summary>Package SHA-256 of each installed version, so a desired artifact is recognised as already installed.</summary>
    public IReadOnlyDictionary<string, string> Packages { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public long UpdatedMs { get; init; }

    /// <summary>The candidate's rollout over, <paramref name="outcome"/> (<see cref="RolloutOutcomes"/>) recorded as the last one: no candidate, phase stable.</summary>
    public RolloutState Ended(string outcome, string reason, long nowMs) => this with
    {
        Candidate = null,
        Phase = RolloutPhases.Stable,
        Spec = null,
        RolloutId = null,
        Source = null,
        Package = null,
        Format = null,
        Revision = null,
        PhaseSinceMs = nowMs,
        LastVersion = Candidate,
        LastOutcome = outcome,
        LastReason = reason,
        LastPackage = Package ?? (Candidate is null ? null : Packages.GetValueOrDefault(Candidate)),
        LastDeploymentId = Spec?.DeploymentId,
    };

    /// <summary>The versions the repository loads for this model.</summary>
    public IEnumerable<string> Serving()
    {
        if (Stable is not null)
        {
            yield return Stable;
        }

        if (Candidate is not null && Candidate != Stable)
        {
            yield return Candidate;
        }
    }
}

/// <summary>Where a candidate came from.</summary>
public static class RolloutSources
{
    /// <summary>The hub's desired state.</summary>
    public const string Hub = "hub";

    /// <summary>The local admin API.</summary>
    public const string Local = "local";
}
