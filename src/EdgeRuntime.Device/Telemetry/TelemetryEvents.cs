using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Writes the device's events into the telemetry store: model versions loaded (with a separate
/// <c>provider_fallback</c> when a provider the build offers failed to start), failed loads, unloads, and
/// alerts firing and resolving. Never blocks: the recorder queues and counts what it cannot keep.
/// </summary>
public sealed class TelemetryEvents : IModelLifecycleObserver
{
    private readonly TelemetryRecorder _recorder;

    public TelemetryEvents(TelemetryRecorder recorder)
    {
        _recorder = recorder;
    }

    public void OnLoaded(ModelSession session)
    {
        var loaded = new ModelEvent
        {
            Model = session.Name,
            Version = session.Version,
            ExecutionProvider = session.ExecutionProvider,
            SkippedProviders = session.SkippedProviders.Count == 0
                ? null
                : [.. session.SkippedProviders.Select(s => new SkippedProvider(s.Provider, s.Reason, s.Failed))],
        };
        Record(TelemetryRecordTypes.ModelLoaded, loaded);
        if (session.SkippedProviders.Any(s => s.Failed))
        {
            Record(TelemetryRecordTypes.ProviderFallback, loaded);
        }
    }

    public void OnLoadFailed(string model, string version, string reason) =>
        Record(TelemetryRecordTypes.ModelLoadFailed, new ModelEvent { Model = model, Version = version, Reason = reason });

    public void OnRetired(ModelSession session) =>
        Record(TelemetryRecordTypes.ModelUnloaded, new ModelEvent { Model = session.Name, Version = session.Version });

    /// <summary>Records an alert that fired or resolved.</summary>
    public void OnAlert(AlertNotification notification) =>
        _recorder.Record(
            TelemetryKind.Event,
            notification.State == "firing" ? TelemetryRecordTypes.AlertFiring : TelemetryRecordTypes.AlertResolved,
            notification.Model,
            notification.Version,
            JsonSerializer.Serialize(notification, ContractsJsonContext.Default.AlertNotification));

    /// <summary>Records that a model version failed requests through no fault of the callers in the last interval.</summary>
    public void OnInferenceErrors(ModelMetricsSnapshot interval) =>
        _recorder.Record(
            TelemetryKind.Event,
            TelemetryRecordTypes.InferenceErrors,
            interval.Model,
            interval.Version,
            JsonSerializer.Serialize(interval, ContractsJsonContext.Default.ModelMetricsSnapshot));

    private void Record(string type, ModelEvent payload) =>
        _recorder.Record(TelemetryKind.Event, type, payload.Model, payload.Version, JsonSerializer.Serialize(payload, ContractsJsonContext.Default.ModelEvent));
}
