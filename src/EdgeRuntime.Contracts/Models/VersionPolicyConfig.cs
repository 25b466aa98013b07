using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>Which versions of a model to serve; exactly one of the three is set (Triton's version_policy).</summary>
public sealed record VersionPolicyConfig
{
    public LatestVersionPolicy? Latest { get; init; }

    public AllVersionPolicy? All { get; init; }

    public SpecificVersionPolicy? Specific { get; init; }
}

/// <summary>Serve the newest N versions.</summary>
public sealed record LatestVersionPolicy([property: JsonPropertyName("num_versions")] int NumVersions = 1);

/// <summary>Serve every version.</summary>
public sealed record AllVersionPolicy;

/// <summary>Serve the listed versions.</summary>
public sealed record SpecificVersionPolicy(IReadOnlyList<long> Versions);
