using System.Net.Http.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Evaluates the alert rules every <see cref="AlertOptions.EvaluationIntervalSeconds"/> against what the
/// device measured in that interval, and turns each alert that fires or resolves into an event record, a
/// log line, the <c>edge_alert_firing</c> gauge and, when configured, a POST to the webhook.
/// </summary>
public sealed partial class AlertEvaluator : BackgroundService
{
    private readonly DeviceMetrics _metrics;
    private readonly TelemetryRecorder _recorder;
    private readonly DriftDetector _drift;
    private readonly TelemetryEvents _events;
    private readonly AlertOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient? _webhook;
    private readonly Dictionary<(AlertRule Rule, ModelSeries Series), SeriesWindow> _baselines = [];

    public AlertEvaluator(
        DeviceMetrics metrics,
        TelemetryRecorder recorder,
        DriftDetector drift,
        TelemetryEvents events,
        IOptions<AlertOptions> options,
        ILogger<AlertEvaluator> logger)
    {
        _metrics = metrics;
        _recorder = recorder;
        _drift = drift;
        _events = events;
        _options = options.Value;
        _logger = logger;
        Engine = new AlertEngine(_options.EffectiveRules);
        if (!string.IsNullOrWhiteSpace(_options.WebhookUrl))
        {
            _webhook = new HttpClient { Timeout = TimeSpan.FromSeconds(_options.WebhookTimeoutSeconds) };
        }
    }

    /// <summary>The rules and the alerts firing now.</summary>
    public AlertEngine Engine { get; }

    /// <summary>Evaluates every rule once, as of now.</summary>
    public void EvaluateNow()
    {
        lock (_baselines)
        {
            var now = DateTimeOffset.UtcNow;
            var live = _metrics.Series;
            foreach (var rule in Engine.Rules)
            {
                foreach (var change in Engine.Evaluate(rule, now, Observe(rule, live)))
                {
                    Publish(change);
                }
            }

            foreach (var gone in _baselines.Keys.Where(k => !live.Contains(k.Series)).ToList())
            {
                _baselines.Remove(gone);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.EvaluationIntervalSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                EvaluateNow();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEvaluationFailed(ex);
            }
        }
    }

    public override void Dispose()
    {
        _webhook?.Dispose();
        base.Dispose();
    }

    private List<AlertObservation> Observe(AlertRule rule, IReadOnlyList<ModelSeries> live)
    {
        bool Applies(string model) => string.IsNullOrEmpty(rule.Model) || string.Equals(rule.Model, model, StringComparison.Ordinal);
        switch (rule.Condition)
        {
            case AlertCondition.StoreFullPercent:
                var store = _recorder.Status;
                return [new AlertObservation(null, null, store.MaxBytes > 0 ? 100.0 * store.Bytes / store.MaxBytes : 0)];
            case AlertCondition.DriftPsi:
                return [.. _drift.Latest
                    .Where(r => Applies(r.Model))
                    .Select(r => new AlertObservation(r.Model, r.Version, r.Features.Count == 0 ? 0 : r.Features.Max(f => f.Psi)))];
            case AlertCondition.ProviderFallback:
                return [.. live.Where(s => Applies(s.Model)).Select(s => new AlertObservation(s.Model, s.Version, s.ProviderFallback ? 1 : 0))];
            default:
                return [.. live.Where(s => Applies(s.Model)).Select(s => new AlertObservation(s.Model, s.Version, Measure(rule, s)))];
        }
    }

    /// <summary>
    /// A latency or error-rate rule's value over the requests since it was last judged: at least the
    /// evaluation interval, and longer when fewer than <see cref="AlertRule.MinRequests"/> arrived, so a
    /// quiet model is judged on enough requests rather than not at all.
    /// </summary>
    private double? Measure(AlertRule rule, ModelSeries series)
    {
        var current = SeriesWindow.Read(series);
        var earlier = _baselines.GetValueOrDefault((rule, series), SeriesWindow.Empty);
        var counted = rule.Condition == AlertCondition.LatencyP95Ms ? current.Successes - earlier.Successes : current.RequestsSince(earlier);
        if (counted < rule.MinRequests)
        {
            return null;
        }

        _baselines[(rule, series)] = current;
        return rule.Condition == AlertCondition.LatencyP95Ms
            ? current.LatencyMsSince(earlier, 0.95)
            : 100.0 * (current.Errors - earlier.Errors) / counted;
    }

    private void Publish(AlertNotification change)
    {
        var firing = change.State == "firing";
        var gauge = _metrics.AlertFiring.WithLabels(change.Alert, change.Model ?? "", change.Version ?? "");
        if (firing)
        {
            gauge.Set(1);
            LogFiring(change.Alert, change.Condition, change.Model ?? "device", change.Version ?? "-", change.Value ?? double.NaN, change.Threshold);
        }
        else
        {
            gauge.Remove();
            LogResolved(change.Alert, change.Condition, change.Model ?? "device", change.Version ?? "-", change.Value ?? double.NaN, change.ClearThreshold);
        }

        _events.OnAlert(change);
        if (_webhook is not null)
        {
            _ = PostAsync(_webhook, change);
        }
    }

    private async Task PostAsync(HttpClient client, AlertNotification change)
    {
        try
        {
            using var response = await client.PostAsJsonAsync(_options.WebhookUrl, change, ContractsJsonContext.Default.AlertNotification).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                LogWebhookFailed(change.Alert, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // The event is in the telemetry store either way; the webhook is a courtesy.
            LogWebhookFailed(change.Alert, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Alert {Alert} firing: {Condition} of {Model} version {Version} is {Value} (threshold {Threshold})")]
    private partial void LogFiring(string alert, string condition, string model, string version, double value, double threshold);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Alert {Alert} resolved: {Condition} of {Model} version {Version} is {Value} (clears at {ClearThreshold})")]
    private partial void LogResolved(string alert, string condition, string model, string version, double value, double clearThreshold);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Alert {Alert} could not be POSTed to the webhook: {Reason}")]
    private partial void LogWebhookFailed(string alert, string reason);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Error, Message = "Evaluating the alert rules failed")]
    private partial void LogEvaluationFailed(Exception exception);
}
