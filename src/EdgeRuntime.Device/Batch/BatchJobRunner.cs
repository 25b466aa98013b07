using EdgeRuntime.Contracts.Batch;

namespace EdgeRuntime.Device.Batch;

/// <summary>Runs one batch job to its end, resuming from its checkpoint.</summary>
public sealed class BatchJobRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/>: resolves the model version from the model store, opens the input, skips what the
    /// checkpoint says is done, and writes each remaining row's result or error exactly once. Reports progress now and then.
    /// Returns the final status (completed, failed with the reason, or cancelled when <paramref name="cancellationToken"/> fires).
    /// </summary>
    /// <exception cref="BatchJobException">The job cannot start (unknown model or version, another job's checkpoint at the output).</exception>
    public Task<BatchJobStatus> RunAsync(BatchJobSpec spec, IProgress<BatchJobStatus>? progress, CancellationToken cancellationToken) =>
        throw new NotSupportedException("scaffold: the runner is being written");
}
