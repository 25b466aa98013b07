namespace EdgeRuntime.Contracts.Inference;

/// <summary>One row of the model repository extension's index: a model version and its state.</summary>
public sealed record RepositoryIndexEntry(string Name, string? Version, string State, string Reason);
