namespace EdgeRuntime.Device.Telemetry;

/// <summary>What an alert rule watches.</summary>
public enum AlertCondition
{
    /// <summary>p95 latency of answered requests in milliseconds, per model version, over each evaluation interval.</summary>
    LatencyP95Ms,

    /// <summary>
    /// Per model version, the percentage of requests in each evaluation interval that failed through no fault
    /// of the caller (the runtime failed, or the model could not take them).
    /// </summary>
    ErrorRatePercent,

    /// <summary>The largest per-feature PSI of a model version's last closed drift window.</summary>
    DriftPsi,

    /// <summary>How full the telemetry store is, in percent of its byte budget (device-wide).</summary>
    StoreFullPercent,

    /// <summary>
    /// 1 while a model version runs on a later choice because a provider the profile preferred, and this ONNX
    /// Runtime build offers, failed to start; else 0. A provider the build lacks is not a fallback.
    /// </summary>
    ProviderFallback,
}
