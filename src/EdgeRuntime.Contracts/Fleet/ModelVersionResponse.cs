using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>One registered model version and its content-addressed artifact.</summary>
public sealed record ModelVersionResponse
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public required ArtifactDescriptor Artifact { get; init; }

    public long CreatedMs { get; init; }

    public bool Retired { get; init; }
}
