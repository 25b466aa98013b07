using System.Diagnostics;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Every <see cref="TelemetryOptions.SnapshotIntervalSeconds"/>, writes what happened in the interval into
/// the telemetry store as one <c>metrics</c> record, and an <c>inference_errors</c> event for each model
/// version that failed requests through no fault of the callers.
/// </summary>
public sealed class MetricsSnapshotter : BackgroundService
{
    private readonly DeviceMetrics _metrics;
    private readonly TelemetryRecorder _recorder;
    private readonly TelemetryEvents _events;
    private readonly TimeSpan _interval;
    private readonly Dictionary<ModelSeries, SeriesWindow> _previous = [];
    private TimeSpan _previousCpu;
    private long _previousAt;

    public MetricsSnapshotter(DeviceMetrics metrics, TelemetryRecorder recorder, TelemetryEvents events, IOptions<TelemetryOptions> options)
    {
        _metrics = metrics;
        _recorder = recorder;
        _events = events;
        _interval = TimeSpan.FromSeconds(options.Value.SnapshotIntervalSeconds);
    }

    /// <summary>Takes one snapshot now: what happened since the previous one (or since start).</summary>
    public MetricsSnapshot TakeSnapshot()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var models = new List<ModelMetricsSnapshot>();
        lock (_previous)
        {
            var live = _metrics.Series;
            foreach (var series in live)
            {
                var current = SeriesWindow.Read(series);
                var earlier = _previous.GetValueOrDefault(series, SeriesWindow.Empty);
                _previous[series] = current;
                var model = new ModelMetricsSnapshot
                {
                    Model = series.Model,
                    Version = series.Version,
                    ExecutionProvider = series.ExecutionProvider,
                    Requests = current.RequestsSince(earlier),
                    Failures = current.Failures - earlier.Failures,
                    Errors = current.Errors - earlier.Errors,
                    FailuresByReason = current.FailuresByReason
                        .Select(f => (f.Key, Count: f.Value - earlier.FailuresByReason.GetValueOrDefault(f.Key)))
                        .Where(f => f.Count > 0)
                        .ToDictionary(f => f.Key, f => f.Count),
                    Inferences = current.Inferences - earlier.Inferences,
                    Executions = current.Executions - earlier.Executions,
                    CacheHits = current.CacheHits - earlier.CacheHits,
                    CacheMisses = current.CacheMisses - earlier.CacheMisses,
                    LatencyP50Ms = current.LatencyMsSince(earlier, 0.50),
                    LatencyP95Ms = current.LatencyMsSince(earlier, 0.95),
                    LatencyP99Ms = current.LatencyMsSince(earlier, 0.99),
                };
                models.Add(model);
                if (model.Errors > 0)
                {
                    _events.OnInferenceErrors(model);
                }
            }

            foreach (var gone in _previous.Keys.Except(live).ToList())
            {
                _previous.Remove(gone);
            }

            var store = _recorder.Status;
            var snapshot = new MetricsSnapshot
            {
                WindowStartMs = _previousAt == 0 ? now : _previousAt,
                WindowEndMs = now,
                CpuSeconds = (cpu - _previousCpu).TotalSeconds,
                ResidentBytes = Environment.WorkingSet,
                StoreRecords = store.Records,
                StoreBytes = store.Bytes,
                Models = models,
            };
            _previousAt = now;
            _previousCpu = cpu;
            _recorder.Record(TelemetryKind.Metrics, TelemetryRecordTypes.Metrics, null, null, JsonSerializer.Serialize(snapshot, ContractsJsonContext.Default.MetricsSnapshot));
            return snapshot;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_interval <= TimeSpan.Zero)
        {
            return;
        }

        _previousAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _previousCpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var timer = new PeriodicTimer(_interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            TakeSnapshot();
        }
    }
}
