using System.Collections.Concurrent;
using EdgeRuntime.Contracts.Inference;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// What one loaded model version has done since it loaded: requests by outcome, time spent queued and
/// computing, runs by batch size, cache hits and misses. Updated lock-free on the request path; read by
/// the statistics endpoint.
/// </summary>
public sealed class ModelStatistics
{
    private readonly ConcurrentDictionary<int, BatchCounters> _batches = new();
    private long _lastInference;
    private long _inferenceCount;
    private long _executionCount;
    private int _pending;

    public DurationCounter Success { get; } = new();

    public DurationCounter Fail { get; } = new();

    public DurationCounter Queue { get; } = new();

    public DurationCounter ComputeInput { get; } = new();

    public DurationCounter ComputeInfer { get; } = new();

    public DurationCounter ComputeOutput { get; } = new();

    public DurationCounter CacheHit { get; } = new();

    public DurationCounter CacheMiss { get; } = new();

    /// <summary>Requests waiting in the batcher's queue now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    internal void AddPending(int delta) => Interlocked.Add(ref _pending, delta);

    /// <summary>Records one run of <paramref name="batchSize"/> rows and its three compute stages, in nanoseconds.</summary>
    internal void RecordExecution(int batchSize, long inputNs, long inferNs, long outputNs)
    {
        Interlocked.Increment(ref _executionCount);
        Interlocked.Add(ref _inferenceCount, batchSize);
        Volatile.Write(ref _lastInference, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        ComputeInput.Add(inputNs);
        ComputeInfer.Add(inferNs);
        ComputeOutput.Add(outputNs);
        var batch = _batches.GetOrAdd(batchSize, static _ => new BatchCounters());
        batch.Input.Add(inputNs);
        batch.Infer.Add(inferNs);
        batch.Output.Add(outputNs);
    }

    /// <summary>Records a request answered from the cache: it counts as an inference without a run.</summary>
    internal void RecordCacheHit(long startTimestamp, int rows)
    {
        CacheHit.AddSince(startTimestamp);
        Interlocked.Add(ref _inferenceCount, rows);
        Volatile.Write(ref _lastInference, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public ModelStatisticsEntry Snapshot(string name, string version) => new(
        name,
        version,
        Volatile.Read(ref _lastInference),
        Volatile.Read(ref _inferenceCount),
        Volatile.Read(ref _executionCount),
        Pending,
        new InferenceStatisticsEntry(
            Success.Snapshot(),
            Fail.Snapshot(),
            Queue.Snapshot(),
            ComputeInput.Snapshot(),
            ComputeInfer.Snapshot(),
            ComputeOutput.Snapshot(),
            CacheHit.Snapshot(),
            CacheMiss.Snapshot()),
        [.. _batches.OrderBy(b => b.Key).Select(b => new BatchStatisticsEntry(b.Key, b.Value.Input.Snapshot(), b.Value.Infer.Snapshot(), b.Value.Output.Snapshot()))]);

    private sealed class BatchCounters
    {
        public DurationCounter Input { get; } = new();

        public DurationCounter Infer { get; } = new();

        public DurationCounter Output { get; } = new();
    }
}
