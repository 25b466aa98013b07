namespace EdgeRuntime.Contracts.Inference;

/// <summary>The protocol's error object, <c>{"error": "..."}</c>.</summary>
public sealed record ErrorResponse(string Error);
