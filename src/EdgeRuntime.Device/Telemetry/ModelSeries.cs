using EdgeRuntime.Device.Inference;
using Prometheus;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The metric series of one model version: its Prometheus children, looked up once, which alert rules and
/// metric snapshots read too, plus a finer latency histogram for windowed quantiles (a Prometheus
/// histogram's buckets cannot be read back). Shared by every load of the same version,
/// so a reload keeps the counters running; removed from <c>/metrics</c> when the last load retires.
/// </summary>
public sealed class ModelSeries : IInferenceObserver
{
    private const double NanosecondsPerSecond = 1e9;

    private readonly Counter.Child _success;
    private readonly Counter.Child _inferences;
    private readonly Counter.Child _executions;
    private readonly Counter.Child _cacheHits;
    private readonly Counter.Child _cacheMisses;
    private readonly Histogram.Child _requestDuration;
    private readonly Histogram.Child _queueDuration;
    private readonly Histogram.Child _computeDuration;
    private readonly Histogram.Child _batchSize;
    private readonly Func<string, Counter.Child> _failures;
    private readonly Dictionary<string, Counter.Child> _failuresByReason = [];

    internal ModelSeries(DeviceMetrics metrics, string model, string version)
    {
        Model = model;
        Version = version;
        _success = metrics.RequestSuccess.WithLabels(model, version);
        _inferences = metrics.InferenceCount.WithLabels(model, version);
        _executions = metrics.ExecutionCount.WithLabels(model, version);
        _cacheHits = metrics.CacheHits.WithLabels(model, version);
        _cacheMisses = metrics.CacheMisses.WithLabels(model, version);
        _requestDuration = metrics.RequestDuration.WithLabels(model, version);
        _queueDuration = metrics.QueueDuration.WithLabels(model, version);
        _computeDuration = metrics.ComputeDuration.WithLabels(model, version);
        _batchSize = metrics.BatchSize.WithLabels(model, version);
        _failures = reason => metrics.RequestFailure.WithLabels(model, version, reason);
    }

    public string Model { get; }

    public string Version { get; }

    /// <summary>Latency of answered requests, for windowed quantiles.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Requests answered.</summary>
    public long Successes => (long)_success.Value;

    /// <summary>Inferences as Triton counts them (rows of batched runs).</summary>
    public long Inferences => (long)_inferences.Value;

    /// <summary>Model runs.</summary>
    public long Executions => (long)_executions.Value;

    public long CacheHits => (long)_cacheHits.Value;

    public long CacheMisses => (long)_cacheMisses.Value;

    /// <summary>The provider the version runs on, and whether that was a fallback from the profile's first choice.</summary>
    public string ExecutionProvider { get; internal set; } = "";

    public bool ProviderFallback { get; internal set; }

    /// <summary>Failed requests so far, by reason.</summary>
    public IReadOnlyDictionary<string, long> FailuresByReason
    {
        get
        {
            lock (_failuresByReason)
            {
                return _failuresByReason.ToDictionary(f => f.Key, f => (long)f.Value.Value);
            }
        }
    }

    /// <summary>The statistics of the load serving now, for gauges read at scrape time (queue depth).</summary>
    internal ModelStatistics? Current { get; set; }

    /// <summary>How many loads of this version hold the series; guarded by <see cref="DeviceMetrics"/>.</summary>
    internal int Holders { get; set; }

    public void OnSuccess(long nanoseconds)
    {
        Latency.Record(nanoseconds);
        _success.Inc();
        _requestDuration.Observe(nanoseconds / NanosecondsPerSecond);
    }

    public void OnFailure(string reason, long nanoseconds)
    {
        FailureCounter(reason).Inc();
    }

    public void OnQueued(long nanoseconds) => _queueDuration.Observe(nanoseconds / NanosecondsPerSecond);

    public void OnExecuted(int batchSize, long inputNanoseconds, long inferNanoseconds, long outputNanoseconds)
    {
        _executions.Inc();
        _inferences.Inc(batchSize);
        _batchSize.Observe(batchSize);
        _computeDuration.Observe((inputNanoseconds + inferNanoseconds + outputNanoseconds) / NanosecondsPerSecond);
    }

    public void OnCacheLookup(bool hit, long nanoseconds) => (hit ? _cacheHits : _cacheMisses).Inc();

    private Counter.Child FailureCounter(string reason)
    {
        // Failures are rare and their reasons few: a lock here costs nothing on the success path.
        lock (_failuresByReason)
        {
            if (!_failuresByReason.TryGetValue(reason, out var child))
            {
                child = _failures(reason);
                _failuresByReason[reason] = child;
            }

            return child;
        }
    }

    /// <summary>
    /// The failures among <paramref name="failuresByReason"/> that were not the caller's fault (the runtime
    /// failed, or the model could not take them): what an error-rate alert counts.
    /// </summary>
    internal static long ErrorsAmong(IReadOnlyDictionary<string, long> failuresByReason) =>
        failuresByReason.GetValueOrDefault(FailureReasons.Internal) + failuresByReason.GetValueOrDefault(FailureReasons.Unavailable);

    /// <summary>Takes every series of this version off <c>/metrics</c>.</summary>
    internal void Unpublish()
    {
        _success.Remove();
        _inferences.Remove();
        _executions.Remove();
        _cacheHits.Remove();
        _cacheMisses.Remove();
        _requestDuration.Remove();
        _queueDuration.Remove();
        _computeDuration.Remove();
        _batchSize.Remove();
        lock (_failuresByReason)
        {
            foreach (var child in _failuresByReason.Values)
            {
                child.Remove();
            }

            _failuresByReason.Clear();
        }
    }
}
