namespace EdgeRuntime.Contracts.Inference;

/// <summary>OIP <c>$live_server_response</c>.</summary>
public sealed record LiveResponse(bool Live);
