using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// One loaded model version's drift state, attached to its <see cref="ModelSession"/> (so a reload starts
/// fresh): the baseline's features matched to the model's tensors, and the current window's bin counters.
/// Requests add to the counters with <see cref="Interlocked"/> and take no lock; the request whose rows
/// fill the window swaps in fresh counters and computes the report. A request that read the old window
/// just before the swap may still add to it after the report was taken: those few values are lost, which
/// a statistic over a thousand rows does not notice.
/// </summary>
internal sealed class DriftMonitor : IDisposable
{
    private readonly DriftDetector _detector;
    private readonly DriftOptions _options;
    private readonly MonitoredFeature[] _features;
    private readonly TensorPlan[] _inputs;
    private readonly TensorPlan[] _outputs;
    private readonly int _counterCount;
    private Window _window;
    private int _state;
    private volatile bool _disposed;

    public DriftMonitor(ModelSession session, DriftBaseline baseline, DriftOptions options, DriftDetector detector, out IReadOnlyList<string> unmatched)
    {
        Model = session.Name;
        Version = session.Version;
        LoadId = session.LoadId;
        _detector = detector;
        _options = options;
        var features = new List<MonitoredFeature>();
        var problems = new List<string>();
        _inputs = Plan(baseline.Inputs, session.Inputs, features, problems);
        _outputs = Plan(baseline.Outputs ?? [], session.Outputs, features, problems);
        _features = [.. features];
        _counterCount = features.Count == 0 ? 0 : features[^1].Offset + features[^1].Proportions.Length;
        unmatched = problems;
        _window = new Window(_counterCount, detector.NowMs());
    }

    public string Model { get; }

    public string Version { get; }

    public long LoadId { get; }

    /// <summary>True once the session closed.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>The features monitored, inputs first, in baseline order.</summary>
    public IEnumerable<string> Features => _features.Select(f => f.Name);

    /// <summary>Records the state of the window just closed and returns the one before it (ok at first).</summary>
    public DriftState ExchangeState(DriftState state) => (DriftState)Interlocked.Exchange(ref _state, (int)state);

    /// <summary>Counts the request's and response's features into the window; returns the report when this call closed it.</summary>
    public DriftReport? Observe(InferenceRequest request, InferenceResponse response)
    {
        var window = Volatile.Read(ref _window);
        Count(_inputs, request.Inputs, window.Counts);
        Count(_outputs, response.Outputs, window.Counts);

        long rows = request.Inputs.Count > 0 ? FeatureLayout.Of(request.Inputs[0].Shape).Rows : 1;
        var total = Interlocked.Add(ref window.Rows, rows);
        var limit = _options.WindowRows;
        if (total < limit || total - rows >= limit || _disposed)
        {
            return null;
        }

        // This request filled the window: only its thread gets here for this window.
        var now = _detector.NowMs();
        Volatile.Write(ref _window, new Window(_counterCount, now));
        return Report(window, now);
    }

    public void Dispose()
    {
        _disposed = true;
        _detector.Forget(this);
    }

    private DriftReport Report(Window window, long endMs)
    {
        var drifts = new List<FeatureDrift>(_features.Length);
        var worst = DriftState.Ok;
        foreach (var feature in _features)
        {
            var counts = window.Counts.AsSpan(feature.Offset, feature.Proportions.Length);
            long seen = 0;
            foreach (ref var count in counts)
            {
                seen += Volatile.Read(ref count);
            }

            if (seen == 0)
            {
                // Not in this window's traffic (e.g. an output nobody asked for): nothing to judge.
                continue;
            }

            var psi = PopulationStabilityIndex.Compute(feature.Proportions, counts);
            var ks = KolmogorovSmirnov.Binned(feature.Proportions, counts);
            var state = Max(Grade(psi, _options.PsiWarn, _options.PsiAlert), Grade(ks, _options.KsWarn, _options.KsAlert));
            worst = Max(worst, state);
            drifts.Add(new FeatureDrift(feature.Name, psi, ks, state));
        }

        return new DriftReport(Model, Version, window.StartMs, endMs, Volatile.Read(ref window.Rows), worst, drifts);
    }

    private static DriftState Grade(double value, double warn, double alert) =>
        value >= alert ? DriftState.Alert : value >= warn ? DriftState.Warn : DriftState.Ok;

    private static DriftState Max(DriftState a, DriftState b) => a >= b ? a : b;

    private void Count(TensorPlan[] plans, IReadOnlyList<InferenceTensor> tensors, long[] counters)
    {
        foreach (var plan in plans)
        {
            InferenceTensor? tensor = null;
            for (var i = 0; i < tensors.Count; i++)
            {
                if (string.Equals(tensors[i].Name, plan.Tensor, StringComparison.Ordinal))
                {
                    tensor = tensors[i];
                    break;
                }
            }

            if (tensor is null || !DriftFeatures.IsNumeric(tensor.DataType))
            {
                continue;
            }

            var layout = FeatureLayout.Of(tensor.Shape);
            var perFeature = layout.ValuesPerFeature;
            if (perFeature == 0)
            {
                continue;
            }

            var stride = Math.Max(1, (perFeature + _options.MaxValuesPerFeature - 1) / _options.MaxValuesPerFeature);
            foreach (var (index, featureNumber) in plan.Features)
            {
                // A plain name is a rank-1 tensor's only feature; an indexed one needs rank 2 or more.
                if ((index is null) != (layout.Rank <= 1))
                {
                    continue;
                }

                var feature = _features[featureNumber];
                var sink = new CountingSink(counters, feature.Offset, feature.Edges);
                DriftFeatures.Visit(tensor, layout, index ?? 0, stride, ref sink);
            }
        }
    }

    private static TensorPlan[] Plan(IReadOnlyList<FeatureBaseline> baselines, IReadOnlyList<TensorMetadata> tensors, List<MonitoredFeature> features, List<string> problems)
    {
        var plans = new Dictionary<string, List<(int?, int)>>(StringComparer.Ordinal);
        foreach (var baseline in baselines)
        {
            if (!DriftFeatures.TryParse(baseline.Feature, out var tensorName, out var index))
            {
                problems.Add($"'{baseline.Feature}' is not a feature name (tensor or tensor[index])");
                continue;
            }

            var tensor = tensors.FirstOrDefault(t => t.Name == tensorName);
            if (tensor is null)
            {
                problems.Add($"'{baseline.Feature}': the model has no tensor '{tensorName}'");
                continue;
            }

            if (Invalid(baseline) is { } reason)
            {
                problems.Add($"'{baseline.Feature}': {reason}");
                continue;
            }

            var offset = features.Count == 0 ? 0 : features[^1].Offset + features[^1].Proportions.Length;
            features.Add(new MonitoredFeature(baseline.Feature, [.. baseline.Edges], [.. baseline.Proportions], offset));
            if (!plans.TryGetValue(tensorName, out var list))
            {
                plans[tensorName] = list = [];
            }

            list.Add((index, features.Count - 1));
        }

        return [.. plans.Select(p => new TensorPlan(p.Key, [.. p.Value]))];
    }

    private static string? Invalid(FeatureBaseline baseline)
    {
        var edges = baseline.Edges;
        var proportions = baseline.Proportions;
        if (proportions.Count < 1 || edges.Count != proportions.Count + 1)
        {
            return $"{edges.Count} edges for {proportions.Count} bins (there must be one more edge than bins)";
        }

        for (var i = 0; i < edges.Count; i++)
        {
            if (!double.IsFinite(edges[i]) || (i > 0 && edges[i] < edges[i - 1]))
            {
                return "edges must be finite and in non-decreasing order";
            }
        }

        return proportions.Any(p => !double.IsFinite(p) || p < 0) ? "proportions must be finite and non-negative" : null;
    }

    private sealed record MonitoredFeature(string Name, double[] Edges, double[] Proportions, int Offset);

    private sealed record TensorPlan(string Tensor, (int? Index, int Feature)[] Features);

    private sealed class Window(int counters, long startMs)
    {
        public readonly long[] Counts = new long[counters];
        public readonly long StartMs = startMs;
        public long Rows;
    }

    private readonly struct CountingSink(long[] counters, int offset, double[] edges) : IFeatureSink
    {
        public void Add(double value) => Interlocked.Increment(ref counters[offset + FeatureBins.BinOf(edges, value)]);
    }
}
