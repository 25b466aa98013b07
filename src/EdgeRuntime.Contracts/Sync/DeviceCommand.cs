namespace EdgeRuntime.Contracts.Sync;

/// <summary>A command from the hub on <c>commands</c>; the device answers with a <see cref="DeviceCommandResult"/> of the same id.</summary>
public sealed record DeviceCommand
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    /// <summary>The hub's id for this command, echoed in the result.</summary>
    public required string Id { get; init; }

    /// <summary>One of <see cref="DeviceCommandNames"/>.</summary>
    public required string Name { get; init; }

    public long IssuedAtMs { get; init; }

    public IReadOnlyDictionary<string, string>? Arguments { get; init; }
}

/// <summary>A device's answer to a <see cref="DeviceCommand"/>, on <c>commands/response</c>.</summary>
public sealed record DeviceCommandResult
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required string Id { get; init; }

    public required string Name { get; init; }

    public required bool Ok { get; init; }

    public string? Message { get; init; }

    public long CompletedAtMs { get; init; }
}

/// <summary>Command names a device understands.</summary>
public static class DeviceCommandNames
{
    /// <summary>Upload the telemetry backlog now.</summary>
    public const string Flush = "flush";

    /// <summary>Publish a fresh <c>status</c>.</summary>
    public const string PublishStatus = "publish_status";

    /// <summary>Re-read the retained desired state and apply it again (e.g. after a failed download).</summary>
    public const string Reconcile = "reconcile";

    /// <summary>Make the candidate of <c>model</c> (argument) the stable version now.</summary>
    public const string Promote = "promote";

    /// <summary>Move the rollout of <c>model</c> (argument) to its next phase (blue-green mirror → split → full).</summary>
    public const string Advance = "advance";

    /// <summary>Stop the candidate of <c>model</c> (argument) taking traffic; with no candidate, go back to the previous kept version.</summary>
    public const string Rollback = "rollback";

    /// <summary>
    /// Start a batch job; the arguments are <c>BatchJobRequest</c>'s fields in snake_case (<c>model</c>, <c>version</c>,
    /// <c>input</c>, <c>format</c>, <c>tensor</c>, <c>table</c>, <c>key</c>, <c>columns</c> and <c>outputs</c> comma-separated,
    /// <c>output</c>, <c>output_format</c>, <c>batch_size</c>, <c>parallelism</c>, <c>id</c>, <c>restart</c> true or false);
    /// <c>model</c>, <c>input</c> and <c>output</c> are required.
    /// The result names the job; its <c>batch_job_finished</c> event follows in telemetry.
    /// </summary>
    public const string RunBatch = "run_batch";
}
