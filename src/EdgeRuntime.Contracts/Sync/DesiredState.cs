namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The retained <c>desired</c> message: which model versions the hub wants the device to serve. <see cref="Revision"/>
/// rises with every change for this device; a device ignores a revision lower than the one it applied. Models not
/// listed are left as they are.
/// </summary>
public sealed record DesiredState
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required long Revision { get; init; }

    /// <summary>When the hub wrote it, Unix milliseconds.</summary>
    public long IssuedAtMs { get; init; }

    public IReadOnlyList<DesiredModel> Models { get; init; } = [];
}

/// <summary>One model version to serve, where to fetch it, and how to roll it out.</summary>
public sealed record DesiredModel
{
    public required string Name { get; init; }

    /// <summary>The version, a positive integer as the model repository's directories name them.</summary>
    public required string Version { get; init; }

    public required ArtifactDescriptor Artifact { get; init; }

    public RolloutSpec Rollout { get; init; } = new();
}

/// <summary>
/// A content-addressed artifact: <see cref="Id"/> is its SHA-256 (lower-case hex), fetched in chunks over
/// <c>artifacts/request</c>. <see cref="Format"/> says what it holds (<see cref="ArtifactFormats"/>).
/// </summary>
public sealed record ArtifactDescriptor
{
    public required string Id { get; init; }

    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    public string Format { get; init; } = ArtifactFormats.Onnx;
}

/// <summary>The artifact formats a device knows.</summary>
public static class ArtifactFormats
{
    /// <summary>A single ONNX model file, installed as <c>model.onnx</c>; accepted only where unsigned models are allowed.</summary>
    public const string Onnx = "onnx";

    /// <summary>A signed model package (<c>.edgepkg</c>): manifest, files, signature.</summary>
    public const string EdgePackage = "edgepkg";
}

/// <summary>How a device moves to a desired version, and what makes it give up and roll back.</summary>
/// <remarks>
/// Settable rather than init-only, here and in <see cref="GuardrailSpec"/>: source-generated JSON would overwrite the
/// defaults of init-only properties absent from a message (a fleet manager's <c>{"strategy":"canary"}</c> would arrive
/// with no guardrails, <c>{"guardrails":{"max_error_rate":0.1}}</c> with every other limit 0).
/// </remarks>
public sealed record RolloutSpec
{
    /// <summary>One of <see cref="RolloutStrategies"/>.</summary>
    public string Strategy { get; set; } = RolloutStrategies.Immediate;

    /// <summary>Percent of requests the candidate answers in a canary and in blue-green's split phase (0–100).</summary>
    public double? SplitPercent { get; set; }

    /// <summary>Canary: a request header whose value pins a caller to one side of the split (e.g. <c>X-User-Id</c>).</summary>
    public string? StickyHeader { get; set; }

    /// <summary>Shadow and blue-green's mirror phase: the fraction of live requests copied to the candidate (0–1).</summary>
    public double? ShadowSampleRate { get; set; }

    /// <summary>
    /// Seconds a phase must stay within its guardrails before it advances on its own (blue-green mirror → split → full,
    /// canary and shadow → promoted); null waits for a promote or advance command.
    /// </summary>
    public int? AutoAdvanceSeconds { get; set; }

    public GuardrailSpec Guardrails { get; set; } = new();

    /// <summary>The hub's fleet deployment this belongs to, echoed in events and status; null for a plain assignment.</summary>
    public string? DeploymentId { get; set; }
}

/// <summary>
/// Limits a candidate must stay within while it takes traffic; each needs its minimum number of samples before it can
/// trip. A trip rolls the candidate back and reports which limit, the observed value and the sample count.
/// </summary>
public sealed record GuardrailSpec
{
    /// <summary>Largest share of the candidate's requests that may fail (0–1).</summary>
    public double MaxErrorRate { get; set; } = 0.05;

    public int MinRequests { get; set; } = 20;

    /// <summary>Largest candidate p95 latency as a multiple of the stable version's p95 over the same period.</summary>
    public double MaxLatencyRatio { get; set; } = 2.0;

    public int MinLatencySamples { get; set; } = 50;

    /// <summary>Largest share of mirrored requests whose candidate answer disagrees with the stable one (0–1).</summary>
    public double MaxDisagreement { get; set; } = 0.1;

    public int MinShadowSamples { get; set; } = 20;

    /// <summary>Two outputs agree when every element is within this absolute difference (or the top-1 class matches, for classifiers).</summary>
    public double AgreementTolerance { get; set; } = 1e-3;

    /// <summary>Roll back when the candidate's drift state reaches <c>alert</c>.</summary>
    public bool RollbackOnDrift { get; set; } = true;
}

/// <summary>Rollout strategy names.</summary>
public static class RolloutStrategies
{
    /// <summary>Serve the new version as soon as it is verified, loaded and smoke-tested.</summary>
    public const string Immediate = "immediate";

    /// <summary>Mirror (copies, answers not returned) → split → full switch, with instant rollback at any phase.</summary>
    public const string BlueGreen = "blue_green";

    /// <summary>A weighted split, optionally sticky on a request header.</summary>
    public const string Canary = "canary";

    /// <summary>A sample of live requests mirrored to the candidate off the caller's path, answers compared and reported.</summary>
    public const string Shadow = "shadow";

    public static bool IsKnown(string strategy) => strategy is Immediate or BlueGreen or Canary or Shadow;
}

/// <summary>Where a model's rollout stands on a device.</summary>
public static class RolloutPhases
{
    /// <summary>The candidate is being verified, unpacked, loaded and smoke-tested; it takes no traffic.</summary>
    public const string Staging = "staging";

    /// <summary>Blue-green: the candidate gets copies of requests; callers get the stable answer.</summary>
    public const string Mirror = "mirror";

    /// <summary>Blue-green: the candidate answers <see cref="RolloutSpec.SplitPercent"/> of requests.</summary>
    public const string Split = "split";

    /// <summary>Canary: the candidate answers <see cref="RolloutSpec.SplitPercent"/> of requests.</summary>
    public const string Canary = "canary";

    /// <summary>Shadow: sampled requests are mirrored to the candidate and compared.</summary>
    public const string Shadow = "shadow";

    /// <summary>No candidate: the stable version serves everything (after a promotion, a rollback or a failure).</summary>
    public const string Stable = "stable";
}

/// <summary>How a rollout ended.</summary>
public static class RolloutOutcomes
{
    public const string Promoted = "promoted";
    public const string RolledBack = "rolled_back";
    public const string Failed = "failed";
}
