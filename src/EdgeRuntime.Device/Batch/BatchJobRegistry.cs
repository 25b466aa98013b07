using EdgeRuntime.Contracts.Batch;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// The host's batch jobs as <c>&lt;data&gt;/batch-state/jobs.json</c> keeps them (written whole by temp file, fsync and
/// rename), so that queued and running jobs resume after a restart and finished ones stay listed.
/// </summary>
internal sealed record BatchJobRegistry
{
    public int SchemaVersion { get; init; } = 1;

    public List<BatchJobEntry> Jobs { get; init; } = [];
}

/// <summary>One job of the registry: what was asked (paths resolved) and how it stands.</summary>
internal sealed record BatchJobEntry
{
    public required BatchJobSpec Spec { get; init; }

    public required BatchJobStatus Status { get; init; }

    /// <summary>When it was submitted, Unix milliseconds; the list is newest first and queued jobs start oldest first.</summary>
    public long SubmittedMs { get; init; }

    /// <summary>
    /// Cancel was asked while the job ran: recorded before the run is told, so that a host that dies before the run
    /// stops does not resume the job at its next start.
    /// </summary>
    public bool CancelRequested { get; init; }
}
