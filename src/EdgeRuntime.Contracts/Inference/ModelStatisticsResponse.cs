namespace EdgeRuntime.Contracts.Inference;

/// <summary>Triton's statistics extension: <c>GET /v2/models[/{model}[/versions/{version}]]/stats</c>.</summary>
public sealed record ModelStatisticsResponse(IReadOnlyList<ModelStatisticsEntry> ModelStats);
