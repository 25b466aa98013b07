namespace EdgeRuntime.Contracts.Inference;

/// <summary>OIP <c>$ready_server_response</c>.</summary>
public sealed record ReadyResponse(bool Ready);
