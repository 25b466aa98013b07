namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>
/// An alert that fired or resolved: the payload of the <c>alert_firing</c>/<c>alert_resolved</c> events in
/// the telemetry store, and the body POSTed to the configured webhook.
/// </summary>
public sealed record AlertNotification
{
    /// <summary>The rule's name.</summary>
    public required string Alert { get; init; }

    /// <summary><c>firing</c> or <c>resolved</c>.</summary>
    public required string State { get; init; }

    /// <summary>What the rule watches, e.g. <c>LatencyP95Ms</c>.</summary>
    public required string Condition { get; init; }

    /// <summary>The model version the alert is about; null for device-wide conditions.</summary>
    public string? Model { get; init; }

    public string? Version { get; init; }

    /// <summary>The value that made it fire or resolve; null when it resolved because the model version went away.</summary>
    public double? Value { get; init; }

    public double Threshold { get; init; }

    public double ClearThreshold { get; init; }

    /// <summary>When the value first crossed (Unix milliseconds).</summary>
    public long SinceMs { get; init; }

    /// <summary>When it fired or resolved (Unix milliseconds).</summary>
    public long AtMs { get; init; }
}
