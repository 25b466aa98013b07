namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// One alert rule from configuration. It fires once its value has stayed above <see cref="Threshold"/> for
/// <see cref="ForSeconds"/>, and resolves once the value has stayed at or below <see cref="ClearThreshold"/>
/// for <see cref="ClearForSeconds"/>: the gap between the two thresholds and the two hold times is the
/// hysteresis that keeps a noisy value from flapping.
/// </summary>
public sealed class AlertRule
{
    /// <summary>Names the alert in events, logs, the webhook and <c>edge_alert_firing</c>.</summary>
    public string Name { get; set; } = "";

    public AlertCondition Condition { get; set; }

    /// <summary>Only this model's versions; empty means every model (ignored by device-wide conditions).</summary>
    public string? Model { get; set; }

    public double Threshold { get; set; }

    /// <summary>How long the value must stay above the threshold before the alert fires; 0 fires at once.</summary>
    public double ForSeconds { get; set; }

    /// <summary>The value at or below which a firing alert starts to resolve; defaults to <see cref="Threshold"/>.</summary>
    public double? ClearThreshold { get; set; }

    /// <summary>How long the value must stay at or below the clear threshold; defaults to <see cref="ForSeconds"/>.</summary>
    public double? ClearForSeconds { get; set; }

    /// <summary>Latency and error-rate rules skip an interval with fewer requests than this: too few to judge.</summary>
    public int MinRequests { get; set; } = 10;

    internal double EffectiveClearThreshold => ClearThreshold ?? Threshold;

    internal TimeSpan For => TimeSpan.FromSeconds(ForSeconds);

    internal TimeSpan ClearFor => TimeSpan.FromSeconds(ClearForSeconds ?? ForSeconds);
}
