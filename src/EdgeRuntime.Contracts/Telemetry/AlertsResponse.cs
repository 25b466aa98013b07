namespace EdgeRuntime.Contracts.Telemetry;

/// <summary><c>GET /v2/edge/alerts</c>: the rules in force and the alerts firing now.</summary>
public sealed record AlertsResponse(IReadOnlyList<AlertNotification> Firing, IReadOnlyList<AlertRuleInfo> Rules);

/// <summary>An alert rule as configured (defaults filled in).</summary>
public sealed record AlertRuleInfo(string Name, string Condition, string? Model, double Threshold, double ClearThreshold, double ForSeconds, double ClearForSeconds);
