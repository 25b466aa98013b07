namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The payload of a deployment event in the telemetry store (types in <see cref="DeploymentEventTypes"/>), which
/// reaches the hub on <c>events</c>: how applying one desired model version went.
/// </summary>
public sealed record DeploymentEvent
{
    public required long Revision { get; init; }

    public required string Model { get; init; }

    public required string Version { get; init; }

    public string? ArtifactId { get; init; }

    public string? Strategy { get; init; }

    /// <summary>Bytes of the artifact held so far (download events).</summary>
    public long? Offset { get; init; }

    public long? Size { get; init; }

    /// <summary>Where a download resumed from after a disconnect or restart; 0 for a fresh start.</summary>
    public long? ResumedFrom { get; init; }

    /// <summary>What failed and why (failure events).</summary>
    public string? Reason { get; init; }

    /// <summary>The step that failed (<c>verify</c>, <c>unpack</c>, <c>load</c>, <c>smoke_test</c>, …) for staging failures.</summary>
    public string? Step { get; init; }

    /// <summary>The version serving as stable when the event happened.</summary>
    public string? Stable { get; init; }

    /// <summary>The rollout phase entered (phase events) or left (rollbacks).</summary>
    public string? Phase { get; init; }

    /// <summary>The guardrail that tripped: <c>error_rate</c>, <c>latency</c>, <c>disagreement</c> or <c>drift</c>.</summary>
    public string? Guardrail { get; init; }

    /// <summary>The observed value and the limit it crossed, and how many samples it was measured over.</summary>
    public double? Observed { get; init; }

    public double? Threshold { get; init; }

    public long? Samples { get; init; }

    /// <summary>Who moved the rollout: <c>auto</c>, <c>local</c> (admin API) or <c>hub</c> (command).</summary>
    public string? Trigger { get; init; }

    /// <summary>The hub's fleet deployment this belongs to.</summary>
    public string? DeploymentId { get; init; }

    /// <summary>Shadow and mirror comparison so far (shadow reports, promotions, rollbacks).</summary>
    public ShadowComparison? Comparison { get; init; }
}

/// <summary>How the candidate's answers compared with the stable version's on mirrored requests.</summary>
public sealed record ShadowComparison
{
    /// <summary>Mirrored requests compared.</summary>
    public long Samples { get; init; }

    /// <summary>Mirrored requests dropped because the candidate was behind.</summary>
    public long Dropped { get; init; }

    /// <summary>Candidate runs that failed.</summary>
    public long Errors { get; init; }

    /// <summary>Share of samples where every output element agreed within the tolerance.</summary>
    public double AgreementRate { get; init; }

    /// <summary>Share of rows whose arg-max (top-1 class) agreed; null when the outputs are not classifier-shaped.</summary>
    public double? Top1Agreement { get; init; }

    public double MaxAbsDiff { get; init; }

    public double MeanAbsDiff { get; init; }
}

/// <summary>The <c>type</c> of deployment events.</summary>
public static class DeploymentEventTypes
{
    public const string DownloadStarted = "artifact_download_started";
    public const string DownloadCompleted = "artifact_download_completed";
    public const string DownloadFailed = "artifact_download_failed";
    public const string Installed = "model_installed";
    public const string DeploymentFailed = "deployment_failed";
    public const string DesiredApplied = "desired_state_applied";

    /// <summary>A package passed verification, unpacking, loading and its smoke test; its rollout starts.</summary>
    public const string Staged = "version_staged";

    /// <summary>A package was refused or failed a staging step (<see cref="DeploymentEvent.Step"/>); the stable version keeps serving.</summary>
    public const string StagingFailed = "staging_failed";

    public const string PhaseChanged = "rollout_phase_changed";
    public const string Promoted = "rollout_promoted";
    public const string RolledBack = "rollout_rolled_back";

    /// <summary>Periodic shadow/mirror comparison report while a candidate gets copies.</summary>
    public const string ShadowReport = "shadow_report";

    /// <summary>Old versions removed to keep the last K within the store's disk budget.</summary>
    public const string VersionsPruned = "versions_pruned";
}
