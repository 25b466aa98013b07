namespace EdgeRuntime.Contracts.Inference;

/// <summary>Model repository extension <c>$repository_index_request</c>.</summary>
public sealed record RepositoryIndexRequest(bool Ready = false);
