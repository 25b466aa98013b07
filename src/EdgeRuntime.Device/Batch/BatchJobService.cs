using EdgeRuntime.Contracts.Batch;

namespace EdgeRuntime.Device.Batch;

/// <summary>The host's batch jobs: submitted through the local API, the hub or a schedule, run in the background, resumed after a restart.</summary>
public sealed class BatchJobService
{
    /// <summary>Queues <paramref name="spec"/> (paths relative to <c>&lt;data&gt;/batch</c>, checked against the allowed roots) and returns its status.</summary>
    /// <exception cref="BatchJobException">The job is refused, with the reason.</exception>
    public BatchJobStatus Submit(BatchJobSpec spec) => throw new NotSupportedException("scaffold: the job service is being written");

    public IReadOnlyList<BatchJobStatus> List() => throw new NotSupportedException("scaffold: the job service is being written");

    public BatchJobStatus? Get(string id) => throw new NotSupportedException("scaffold: the job service is being written");

    /// <summary>Cancels a queued or running job; false when there is no such unfinished job.</summary>
    public bool Cancel(string id) => throw new NotSupportedException("scaffold: the job service is being written");
}
