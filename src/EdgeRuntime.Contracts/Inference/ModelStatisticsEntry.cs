namespace EdgeRuntime.Contracts.Inference;

/// <summary>
/// One model version's counters since it was loaded. <c>inference_count</c> counts rows (a batch of 8 is 8),
/// <c>execution_count</c> counts runs; <c>pending_request_count</c> (an EdgeRuntime addition) is the
/// number of requests waiting in the batcher's queue now.
/// </summary>
public sealed record ModelStatisticsEntry(
    string Name,
    string Version,
    long LastInference,
    long InferenceCount,
    long ExecutionCount,
    long PendingRequestCount,
    InferenceStatisticsEntry InferenceStats,
    IReadOnlyList<BatchStatisticsEntry> BatchStats);
