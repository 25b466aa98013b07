namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>The <c>type</c> of each telemetry record the device writes, as the hub will see it.</summary>
public static class TelemetryRecordTypes
{
    public const string Metrics = "metrics";
    public const string ModelLoaded = "model_loaded";
    public const string ProviderFallback = "provider_fallback";
    public const string ModelLoadFailed = "model_load_failed";
    public const string ModelUnloaded = "model_unloaded";
    public const string InferenceErrors = "inference_errors";
    public const string AlertFiring = "alert_firing";
    public const string AlertResolved = "alert_resolved";
    public const string DriftReport = "drift_report";
    public const string Prediction = "prediction";

    /// <summary>A batch job ended (completed, failed or cancelled); the payload is its final <c>BatchJobStatus</c>.</summary>
    public const string BatchJobFinished = "batch_job_finished";
}
