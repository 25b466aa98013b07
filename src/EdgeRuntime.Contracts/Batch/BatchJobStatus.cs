namespace EdgeRuntime.Contracts.Batch;

/// <summary>
/// A batch job as the local API shows it, and, once finished, the payload of its <c>batch_job_finished</c> telemetry
/// event (which reaches the hub).
/// </summary>
public sealed record BatchJobStatus
{
    public required string Id { get; init; }

    /// <summary>One of <see cref="BatchJobStates"/>.</summary>
    public required string State { get; init; }

    /// <summary>Who started it: <c>cli</c>, <c>api</c>, <c>hub</c> or <c>schedule:&lt;name&gt;</c>.</summary>
    public required string Trigger { get; init; }

    public required string Model { get; init; }

    /// <summary>The version the rows ran on; null until the job has resolved it.</summary>
    public string? Version { get; init; }

    public required string Input { get; init; }

    public required string Output { get; init; }

    /// <summary>Rows in the input when known (null while unknown, e.g. a JSONL file not yet read to its end).</summary>
    public long? RowsTotal { get; init; }

    /// <summary>Rows with a result, over every run of the job (a resumed job counts what earlier runs did).</summary>
    public long RowsSucceeded { get; init; }

    /// <summary>Rows recorded as errors (malformed, or refused by the model), over every run.</summary>
    public long RowsFailed { get; init; }

    /// <summary>Rows an earlier run had already finished when this run started.</summary>
    public long RowsResumed { get; init; }

    /// <summary>Rows per second in this run.</summary>
    public double RowsPerSecond { get; init; }

    /// <summary>Estimated seconds left, when the total is known.</summary>
    public double? EtaSeconds { get; init; }

    public int BatchSize { get; init; }

    public int Parallelism { get; init; }

    public long? StartedMs { get; init; }

    public long? FinishedMs { get; init; }

    /// <summary>This run's duration so far, or in all once finished.</summary>
    public long DurationMs { get; init; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Reason { get; init; }
}

/// <summary>The states of a batch job.</summary>
public static class BatchJobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Completed or Failed or Cancelled;
}

/// <summary><c>GET /v2/edge/batch/jobs</c>.</summary>
public sealed record BatchJobsResponse(IReadOnlyList<BatchJobStatus> Jobs);
