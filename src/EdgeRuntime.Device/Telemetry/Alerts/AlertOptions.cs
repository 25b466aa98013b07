namespace EdgeRuntime.Device.Telemetry;

/// <summary>Alert rules and where firing and resolving alerts go, from <c>EdgeRuntime:Telemetry:Alerts</c>.</summary>
public sealed class AlertOptions
{
    public const string SectionName = "EdgeRuntime:Telemetry:Alerts";

    /// <summary>How often the rules are evaluated; latency and error rates are measured over this interval.</summary>
    public double EvaluationIntervalSeconds { get; set; } = 15;

    /// <summary>When set, every firing and resolving alert is also POSTed here as JSON.</summary>
    public string? WebhookUrl { get; set; }

    public double WebhookTimeoutSeconds { get; set; } = 5;

    /// <summary>Adds the built-in rules (<see cref="DefaultRules"/>) to the configured ones.</summary>
    public bool UseDefaultRules { get; set; } = true;

    public List<AlertRule> Rules { get; set; } = [];

    /// <summary>
    /// Store over 80 % full (clears under 70 %), a provider fallback, drift PSI over 0.2 (clears under 0.1)
    /// and an error rate over 5 % for five minutes (clears under 1 %).
    /// </summary>
    public static IReadOnlyList<AlertRule> DefaultRules =>
    [
        new() { Name = "store_full", Condition = AlertCondition.StoreFullPercent, Threshold = 80, ClearThreshold = 70 },
        new() { Name = "provider_fallback", Condition = AlertCondition.ProviderFallback, Threshold = 0.5 },
        new() { Name = "drift", Condition = AlertCondition.DriftPsi, Threshold = 0.2, ClearThreshold = 0.1 },
        new() { Name = "error_rate", Condition = AlertCondition.ErrorRatePercent, Threshold = 5, ForSeconds = 300, ClearThreshold = 1, ClearForSeconds = 300 },
    ];

    /// <summary>The rules in force: the configured ones, then the defaults whose names are not taken.</summary>
    public IReadOnlyList<AlertRule> EffectiveRules =>
        UseDefaultRules
            ? [.. Rules, .. DefaultRules.Where(d => !Rules.Any(r => string.Equals(r.Name, d.Name, StringComparison.Ordinal)))]
            : Rules;
}
