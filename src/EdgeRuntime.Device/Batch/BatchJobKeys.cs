using System.Globalization;

namespace EdgeRuntime.Device.Batch;

/// <summary>The names of the values in a job database's <c>job</c> table.</summary>
internal static class BatchJobKeys
{
    public const string Id = "id";
    public const string Model = "model";
    public const string Version = "version";
    public const string InputPath = "input_path";
    public const string InputFormat = "input_format";
    public const string InputFingerprint = "input_fingerprint";
    public const string Output = "output";
    public const string OutputFormat = "output_format";

    /// <summary>The kept outputs, as a JSON array of names.</summary>
    public const string Outputs = "outputs";
    public const string BatchSize = "batch_size";
    public const string Trigger = "trigger";
    public const string CreatedMs = "created_ms";
    public const string State = "state";
    public const string Reason = "reason";
    public const string FinishedMs = "finished_ms";
    public const string RowsTotal = "rows_total";

    /// <summary>The checkpoint: every row with a lower index has exactly one result or error.</summary>
    public const string NextIndex = "next_index";
    public const string RowsSucceeded = "rows_succeeded";
    public const string RowsFailed = "rows_failed";

    /// <summary>CSV/JSONL: the committed length of the output file; a longer file is cut back to it on resume.</summary>
    public const string OutputBytes = "output_bytes";

    /// <summary>The final status of the last run that ended, as its <c>batch_job_finished</c> event carries it (JSON).</summary>
    public const string Summary = "summary";

    /// <summary>"1" once the event of the job's final state is recorded; absent while it is not, so that a rerun records it.</summary>
    public const string EventPublished = "event_published";

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
