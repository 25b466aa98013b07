namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// What a telemetry record is, which is also its priority for eviction: <see cref="Sample"/> is evicted first,
/// then <see cref="Metrics"/>, then <see cref="Drift"/>; <see cref="Event"/> last.
/// </summary>
public enum TelemetryKind
{
    /// <summary>Model loaded, fallback, errors, alerts, and the store's own <c>records_dropped</c>.</summary>
    Event = 1,

    /// <summary>A drift report.</summary>
    Drift = 2,

    /// <summary>A metrics snapshot.</summary>
    Metrics = 3,

    /// <summary>An opt-in sampled prediction.</summary>
    Sample = 4,
}
