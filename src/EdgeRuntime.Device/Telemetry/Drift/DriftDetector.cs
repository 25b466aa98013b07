using System.Collections.Concurrent;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Watches served traffic for drift from each model version's baseline (<c>drift_baseline</c> in its
/// <c>manifest.json</c>). The router hands it every successful request (<see cref="Observe"/>); each model
/// version counts its features into a window of <see cref="DriftOptions.WindowRows"/> rows, and when a
/// window closes the detector keeps its <see cref="DriftReport"/> in <see cref="Latest"/> and raises
/// <see cref="WindowCompleted"/>.
/// </summary>
public sealed partial class DriftDetector : IPredictionObserver
{
    private readonly DriftOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, DriftReport> _latest = new();
    private int _failures;

    public DriftDetector(IOptions<DriftOptions> options, ILogger<DriftDetector> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
    }

    /// <summary>
    /// Raised once per closed window, synchronously on the request thread whose rows closed it, after the
    /// response was computed but before it goes back to the caller: handlers must be quick (update a gauge,
    /// queue a write) and hand anything slow to another thread. A handler that throws is logged and ignored.
    /// </summary>
    public event Action<DriftReport>? WindowCompleted;

    /// <summary>The latest report of every loaded model version that has closed a window, by model and version.</summary>
    public IReadOnlyList<DriftReport> Latest =>
        [.. _latest.Values.OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Version.Length).ThenBy(r => r.Version, StringComparer.Ordinal)];

    /// <summary>
    /// Counts one served request into its model version's window. Cheap (at most
    /// <see cref="DriftOptions.MaxValuesPerFeature"/> values per feature, no lock, no allocation but when a
    /// window closes) and never throws; does nothing when the version has no baseline or drift is disabled.
    /// </summary>
    public void Observe(ModelSession session, InferenceRequest request, InferenceResponse response)
    {
        if (!_options.Enabled || session.Manifest?.DriftBaseline is null)
        {
            return;
        }

        try
        {
            var monitor = session.Find<DriftMonitor>() ?? Attach(session);
            if (monitor.Observe(request, response) is { } report)
            {
                Publish(monitor, report);
            }
        }
        catch (Exception ex)
        {
            // Drift is telemetry: whatever goes wrong here must not fail the request it watched.
            if (Interlocked.Increment(ref _failures) == 1)
            {
                LogObserveFailed(session.Name, session.Version, ex);
            }
        }
    }

    internal long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Forgets a model version's report when its session closes.</summary>
    internal void Forget(DriftMonitor monitor) => _latest.TryRemove(monitor.LoadId, out _);

    private DriftMonitor Attach(ModelSession session)
    {
        IReadOnlyList<string> unmatched = [];
        var monitor = session.GetOrAttach(s => new DriftMonitor(s, s.Manifest!.DriftBaseline!, _options, this, out unmatched));
        if (unmatched.Count > 0)
        {
            LogUnmatchedFeatures(session.Name, session.Version, string.Join("; ", unmatched));
        }

        LogMonitoring(session.Name, session.Version, string.Join(", ", monitor.Features));
        return monitor;
    }

    private void Publish(DriftMonitor monitor, DriftReport report)
    {
        _latest[monitor.LoadId] = report;
        if (monitor.IsDisposed)
        {
            // The version unloaded while this window closed: keep no report for it.
            _latest.TryRemove(monitor.LoadId, out _);
        }

        // Logged when the state changes, not every window: a version that stays drifted would otherwise
        // log on every window (dozens a second on a busy tiny model); every report is in the store anyway.
        var previous = monitor.ExchangeState(report.State);
        if (report.State != previous && report.State != DriftState.Ok)
        {
            LogDrift(report.Model, report.Version, report.State, string.Join(", ", report.Features.Where(f => f.State != DriftState.Ok).Select(f => $"{f.Feature} (psi {f.Psi:F3}, ks {f.Ks:F3})")));
        }
        else if (report.State != previous)
        {
            LogDriftCleared(report.Model, report.Version, previous);
        }

        if (WindowCompleted is { } handlers)
        {
            foreach (var handler in handlers.GetInvocationList().Cast<Action<DriftReport>>())
            {
                try
                {
                    handler(report);
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(report.Model, report.Version, ex);
                }
            }
        }
    }

    [LoggerMessage(EventId = 1450, Level = LogLevel.Information, Message = "Model {Model} version {Version}: watching drift of {Features}")]
    private partial void LogMonitoring(string model, string version, string features);

    [LoggerMessage(EventId = 1451, Level = LogLevel.Warning, Message = "Model {Model} version {Version}: drift baseline features not watched: {Problems}")]
    private partial void LogUnmatchedFeatures(string model, string version, string problems);

    [LoggerMessage(EventId = 1452, Level = LogLevel.Warning, Message = "Model {Model} version {Version}: drift {State} in {Features}")]
    private partial void LogDrift(string model, string version, DriftState state, string features);

    [LoggerMessage(EventId = 1455, Level = LogLevel.Information, Message = "Model {Model} version {Version}: drift back to ok from {Previous}")]
    private partial void LogDriftCleared(string model, string version, DriftState previous);

    [LoggerMessage(EventId = 1453, Level = LogLevel.Warning, Message = "Model {Model} version {Version}: drift observation failed; further failures are not logged")]
    private partial void LogObserveFailed(string model, string version, Exception exception);

    [LoggerMessage(EventId = 1454, Level = LogLevel.Warning, Message = "Model {Model} version {Version}: a drift report handler failed")]
    private partial void LogHandlerFailed(string model, string version, Exception exception);
}
