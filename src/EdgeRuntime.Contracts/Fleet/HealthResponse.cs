namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>GET /healthz</c>.</summary>
public sealed record HealthResponse(string Status);
