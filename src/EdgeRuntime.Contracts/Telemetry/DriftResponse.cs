namespace EdgeRuntime.Contracts.Telemetry;

/// <summary><c>GET /v2/edge/drift</c>: the last closed drift window of every loaded model version that has a baseline.</summary>
public sealed record DriftResponse(IReadOnlyList<DriftReport> Reports);
