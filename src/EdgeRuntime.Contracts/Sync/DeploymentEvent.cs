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
}
