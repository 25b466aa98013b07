using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Telemetry;
using Microsoft.Extensions.Hosting;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Connects the telemetry parts once the host starts: each closed drift window becomes a <c>drift_report</c>
/// record and sets the drift gauges, and every <c>/metrics</c> scrape reads the store's depth and drops.
/// </summary>
public sealed class TelemetrySources : IHostedService
{
    private readonly DeviceMetrics _metrics;
    private readonly TelemetryRecorder _recorder;
    private readonly DriftDetector _drift;

    public TelemetrySources(DeviceMetrics metrics, TelemetryRecorder recorder, DriftDetector drift)
    {
        _metrics = metrics;
        _recorder = recorder;
        _drift = drift;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _drift.WindowCompleted += OnDriftWindow;
        _metrics.OnCollect(RefreshStore);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _drift.WindowCompleted -= OnDriftWindow;
        return Task.CompletedTask;
    }

    private void OnDriftWindow(DriftReport report)
    {
        _recorder.Record(TelemetryKind.Drift, TelemetryRecordTypes.DriftReport, report.Model, report.Version, JsonSerializer.Serialize(report, ContractsJsonContext.Default.DriftReport));
        foreach (var feature in report.Features)
        {
            _metrics.DriftPsi.WithLabels(report.Model, report.Version, feature.Feature).Set(feature.Psi);
            _metrics.DriftKs.WithLabels(report.Model, report.Version, feature.Feature).Set(feature.Ks);
        }

        _metrics.DriftState.WithLabels(report.Model, report.Version).Set((int)report.State);
    }

    private void RefreshStore()
    {
        var status = _recorder.Status;
        _metrics.StoreBytes.Set(status.Bytes);
        _metrics.StoreCapacity.Set(status.MaxBytes);
        foreach (var kind in Enum.GetValues<TelemetryKind>())
        {
            var name = kind.ToString().ToLowerInvariant();
            _metrics.StoreRecords.WithLabels(name).Set(status.RecordsByKind.GetValueOrDefault(kind));
            _metrics.StoreDropped.WithLabels(name).IncTo(status.Dropped.GetValueOrDefault(kind));
        }
    }
}
