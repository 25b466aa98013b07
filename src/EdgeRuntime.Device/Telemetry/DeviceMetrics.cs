using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using Prometheus;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The device's Prometheus metrics: one registry per host (so in-process test hosts never share series),
/// the per-model-version families that <see cref="ModelSeries"/> feeds from the request path, the
/// process's own (CPU, memory, GC), and gauges that other telemetry parts (store, drift, alerts) set when
/// <c>/metrics</c> is scraped.
/// </summary>
public sealed class DeviceMetrics : IModelLifecycleObserver
{
    private static readonly string[] ModelLabels = ["model", "version"];
    private readonly Dictionary<(string Model, string Version), ModelSeries> _series = [];
    private readonly List<Action> _beforeCollect = [];

    public DeviceMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var factory = Metrics.WithCustomRegistry(Registry);
        var seconds = Histogram.ExponentialBuckets(0.00005, 2, 20);

        RequestSuccess = factory.CreateCounter("edge_inference_request_success_total", "Inference requests answered.", ModelLabels);
        RequestFailure = factory.CreateCounter("edge_inference_request_failure_total", "Inference requests that failed, by reason (bad_request, too_large, unavailable, internal, cancelled).", [.. ModelLabels, "reason"]);
        InferenceCount = factory.CreateCounter("edge_inference_count_total", "Inferences performed, as Triton counts them: the rows of a batched run, one per request for a model without dynamic batching.", ModelLabels);
        ExecutionCount = factory.CreateCounter("edge_inference_exec_count_total", "Model runs (one per batch).", ModelLabels);
        CacheHits = factory.CreateCounter("edge_response_cache_hits_total", "Requests answered from the response cache.", ModelLabels);
        CacheMisses = factory.CreateCounter("edge_response_cache_misses_total", "Response cache lookups that found nothing.", ModelLabels);
        RequestDuration = factory.CreateHistogram("edge_inference_request_duration_seconds", "Time from routing a request to its answer, answered requests only.", new HistogramConfiguration { LabelNames = ModelLabels, Buckets = seconds });
        QueueDuration = factory.CreateHistogram("edge_inference_queue_duration_seconds", "Time requests waited in the dynamic batcher's queue.", new HistogramConfiguration { LabelNames = ModelLabels, Buckets = seconds });
        ComputeDuration = factory.CreateHistogram("edge_inference_compute_duration_seconds", "Time one model run took, input and output conversion included.", new HistogramConfiguration { LabelNames = ModelLabels, Buckets = seconds });
        BatchSize = factory.CreateHistogram("edge_inference_batch_size", "Batch size of each model run (1 for a model without dynamic batching).", new HistogramConfiguration { LabelNames = ModelLabels, Buckets = Histogram.ExponentialBuckets(1, 2, 10) });
        PendingRequests = factory.CreateGauge("edge_inference_pending_requests", "Requests waiting in the dynamic batcher's queue now.", ModelLabels);
        ModelInfo = factory.CreateGauge("edge_model_info", "1 for each loaded model version, labelled with the execution provider it runs on and its quantization.", [.. ModelLabels, "execution_provider", "quantization"]);
        ProviderFallback = factory.CreateGauge("edge_model_provider_fallback", "1 when a provider the profile preferred and this build offers failed to start, so the version runs on a later choice (the provider_fallback event says why).", ModelLabels);
        ResidentMemory = factory.CreateGauge("process_resident_memory_bytes", "Resident set size of the process.");
        StoreRecords = factory.CreateGauge("edge_telemetry_store_records", "Records in the telemetry store waiting for the hub, by kind.", "kind");
        StoreBytes = factory.CreateGauge("edge_telemetry_store_bytes", "Bytes the telemetry store's records take.");
        StoreCapacity = factory.CreateGauge("edge_telemetry_store_capacity_bytes", "The telemetry store's byte budget.");
        StoreDropped = factory.CreateCounter("edge_telemetry_store_dropped_records_total", "Records dropped since the store was created (over budget, over age, or recording faster than the store writes), by kind.", "kind");
        DriftPsi = factory.CreateGauge("edge_drift_psi", "Population stability index of the last closed window against the baseline, per feature.", [.. ModelLabels, "feature"]);
        DriftKs = factory.CreateGauge("edge_drift_ks_statistic", "Kolmogorov-Smirnov statistic of the last closed window against the baseline, per feature.", [.. ModelLabels, "feature"]);
        DriftState = factory.CreateGauge("edge_drift_state", "Drift of the last closed window: 0 ok, 1 warn, 2 alert.", ModelLabels);
        AlertFiring = factory.CreateGauge("edge_alert_firing", "1 while an alert fires; model and version are empty for device-wide alerts.", "alert", "model", "version");
        RolloutRequests = factory.CreateCounter("edge_rollout_requests_total", "Unversioned requests a rollout routed to each side (role stable or candidate); the candidate's include the mirrored copies it ran.", [.. ModelLabels, "role"]);
        RolloutMirrorCopies = factory.CreateCounter("edge_rollout_mirror_copies_total", "Requests a rollout copied to its candidate version, by outcome: compared, failed (the candidate failed), dropped (the mirror queue was full).", [.. ModelLabels, "outcome"]);
        BatchRows = factory.CreateCounter("edge_batch_rows_total", "Rows batch jobs in the host wrote, by outcome: succeeded (a result) or failed (an error recorded for the row).", [.. ModelLabels, "outcome"]);
        BatchJobs = factory.CreateCounter("edge_batch_jobs_total", "Batch jobs in the host that ended, by final state (completed, failed, cancelled).", "state");
        BatchJobsRunning = factory.CreateGauge("edge_batch_jobs_running", "Batch jobs running in the host now.");
        Registry.AddBeforeCollectCallback(Refresh);
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    internal Counter RequestSuccess { get; }

    internal Counter RequestFailure { get; }

    internal Counter InferenceCount { get; }

    internal Counter ExecutionCount { get; }

    internal Counter CacheHits { get; }

    internal Counter CacheMisses { get; }

    internal Histogram RequestDuration { get; }

    internal Histogram QueueDuration { get; }

    internal Histogram ComputeDuration { get; }

    internal Histogram BatchSize { get; }

    internal Gauge PendingRequests { get; }

    internal Gauge ModelInfo { get; }

    internal Gauge ProviderFallback { get; }

    internal Gauge ResidentMemory { get; }

    internal Gauge StoreRecords { get; }

    internal Gauge StoreBytes { get; }

    internal Gauge StoreCapacity { get; }

    internal Counter StoreDropped { get; }

    internal Gauge DriftPsi { get; }

    internal Gauge DriftKs { get; }

    internal Gauge DriftState { get; }

    internal Gauge AlertFiring { get; }

    internal Counter RolloutRequests { get; }

    internal Counter RolloutMirrorCopies { get; }

    internal Counter BatchRows { get; }

    internal Counter BatchJobs { get; }

    internal Gauge BatchJobsRunning { get; }

    /// <summary>The series of every loaded model version.</summary>
    public IReadOnlyList<ModelSeries> Series
    {
        get
        {
            lock (_series)
            {
                return [.. _series.Values];
            }
        }
    }

    /// <summary>Runs <paramref name="refresh"/> before every export, to set gauges from their source.</summary>
    public void OnCollect(Action refresh)
    {
        lock (_beforeCollect)
        {
            _beforeCollect.Add(refresh);
        }
    }

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken = default) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    public void OnLoaded(ModelSession session)
    {
        ModelSeries series;
        lock (_series)
        {
            if (!_series.TryGetValue((session.Name, session.Version), out series!))
            {
                series = new ModelSeries(this, session.Name, session.Version);
                _series[(session.Name, session.Version)] = series;
            }

            series.Holders++;
            series.Current = session.Statistics;
            series.ExecutionProvider = session.ExecutionProvider;
            series.ProviderFallback = session.SkippedProviders.Any(s => s.Failed);
        }

        session.Statistics.Observer = series;
        ModelInfo.WithLabels(session.Name, session.Version, session.ExecutionProvider, session.Properties.GetValueOrDefault("quantization", "")).Set(1);
        ProviderFallback.WithLabels(session.Name, session.Version).Set(series.ProviderFallback ? 1 : 0);
    }

    public void OnLoadFailed(string model, string version, string reason)
    {
    }

    public void OnRetired(ModelSession session)
    {
        lock (_series)
        {
            if (!_series.TryGetValue((session.Name, session.Version), out var series) || --series.Holders > 0)
            {
                return;
            }

            _series.Remove((session.Name, session.Version));
            series.Unpublish();
            PendingRequests.RemoveLabelled(session.Name, session.Version);
            ProviderFallback.RemoveLabelled(session.Name, session.Version);
            DriftState.RemoveLabelled(session.Name, session.Version);
            foreach (var family in new[] { ModelInfo, DriftPsi, DriftKs })
            {
                foreach (var labels in family.GetAllLabelValues().Where(l => l[0] == session.Name && l[1] == session.Version).ToList())
                {
                    family.RemoveLabelled(labels);
                }
            }

            foreach (var family in new[] { RolloutRequests, RolloutMirrorCopies })
            {
                foreach (var labels in family.GetAllLabelValues().Where(l => l[0] == session.Name && l[1] == session.Version).ToList())
                {
                    family.RemoveLabelled(labels);
                }
            }
        }
    }

    private void Refresh()
    {
        ResidentMemory.Set(Environment.WorkingSet);
        foreach (var series in Series)
        {
            if (series.Current is { } statistics)
            {
                PendingRequests.WithLabels(series.Model, series.Version).Set(statistics.Pending);
            }
        }

        Action[] refreshers;
        lock (_beforeCollect)
        {
            refreshers = [.. _beforeCollect];
        }

        foreach (var refresh in refreshers)
        {
            refresh();
        }
    }
}
