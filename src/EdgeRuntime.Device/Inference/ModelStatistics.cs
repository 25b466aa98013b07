using System.Collections.Concurrent;
using System.Diagnostics;
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
    private IInferenceObserver? _observer;

    public DurationCounter Success { get; } = new();

    public DurationCounter Fail { get; } = new();

    public DurationCounter Queue { get; } = new();

    public DurationCounter ComputeInput { get; } = new();

    public DurationCounter ComputeInfer { get; } = new();

    public DurationCounter ComputeOutput { get; } = new();

    public DurationCounter CacheHit { get; } = new();

    public DurationCounter CacheMiss { get; } = new();

    /// <summary>Told about each request and run as well (telemetry's metric series); set when the version loads.</summary>
    public IInferenceObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>Requests waiting in the batcher's queue now.</summary>
    public int Pending => Volatile.Read(ref _pending);

    internal void AddPending(int delta) => Interlocked.Add(ref _pending, delta);

    /// <summary>Records a request answered since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    internal void RecordSuccess(long startTimestamp)
    {
        var ns = NanosecondsSince(startTimestamp);
        Success.Add(ns);
        Observer?.OnSuccess(ns);
    }

    /// <summary>
    /// Records a failed request. A cancelled one is not a failure in Triton's statistics (the caller left),
    /// but observers still see it.
    /// </summary>
    internal void RecordFailure(long startTimestamp, Exception exception)
    {
        var ns = NanosecondsSince(startTimestamp);
        var reason = FailureReasons.Of(exception);
        if (reason != FailureReasons.Cancelled)
        {
            Fail.Add(ns);
        }

        Observer?.OnFailure(reason, ns);
    }

    /// <summary>Records the time a request waited in the batcher's queue.</summary>
    internal void RecordQueued(long enqueuedTimestamp)
    {
        var ns = NanosecondsSince(enqueuedTimestamp);
        Queue.Add(ns);
        Observer?.OnQueued(ns);
    }

    /// <summary>Records a cache lookup that found nothing.</summary>
    internal void RecordCacheMiss(long startTimestamp)
    {
        var ns = NanosecondsSince(startTimestamp);
        CacheMiss.Add(ns);
        Observer?.OnCacheLookup(hit: false, ns);
    }

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
        Observer?.OnExecuted(batchSize, inputNs, inferNs, outputNs);
    }

    /// <summary>Records a request answered from the cache: it counts as an inference without a run.</summary>
    internal void RecordCacheHit(long startTimestamp, int rows)
    {
        var ns = NanosecondsSince(startTimestamp);
        CacheHit.Add(ns);
        Observer?.OnCacheLookup(hit: true, ns);
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

    private static long NanosecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).Ticks * 100;

    private sealed class BatchCounters
    {
        public DurationCounter Input { get; } = new();

        public DurationCounter Infer { get; } = new();

        public DurationCounter Output { get; } = new();
    }
}
