namespace EdgeRuntime.Contracts.Inference;

/// <summary>OIP <c>$ready_model_response</c>.</summary>
public sealed record ModelReadyResponse(string Name, bool Ready);
