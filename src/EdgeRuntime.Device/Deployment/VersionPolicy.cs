using System.Globalization;
using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Device.Deployment;

/// <summary>Chooses which of a model's versions to serve: the latest N, all, or specific ones.</summary>
public sealed record VersionPolicy(VersionPolicyKind Kind, int Latest = 1, IReadOnlyList<long>? Specific = null)
{
    public static VersionPolicy LatestOne { get; } = new(VersionPolicyKind.Latest);

    /// <summary>Parses <c>latest:N</c>, <c>all</c> or <c>specific:1,3</c>.</summary>
    public static bool TryParse(string text, out VersionPolicy policy)
    {
        policy = LatestOne;
        var parts = text.Split(':', 2, StringSplitOptions.TrimEntries);
        switch (parts[0].ToLowerInvariant())
        {
            case "all" when parts.Length == 1:
                policy = new VersionPolicy(VersionPolicyKind.All);
                return true;
            case "latest":
                var count = 1;
                if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
                {
                    return false;
                }

                policy = new VersionPolicy(VersionPolicyKind.Latest, count);
                return true;
            case "specific" when parts.Length == 2:
                var versions = new List<long>();
                foreach (var item in parts[1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!long.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
                    {
                        return false;
                    }

                    versions.Add(version);
                }

                policy = new VersionPolicy(VersionPolicyKind.Specific, Specific: versions);
                return versions.Count > 0;
            default:
                return false;
        }
    }

    /// <summary>The policy a model configuration asks for, or <paramref name="fallback"/> when it sets none.</summary>
    public static VersionPolicy From(VersionPolicyConfig? config, VersionPolicy fallback) => config switch
    {
        { Latest: { } latest } => new VersionPolicy(VersionPolicyKind.Latest, Math.Max(1, latest.NumVersions)),
        { All: not null } => new VersionPolicy(VersionPolicyKind.All),
        { Specific: { } specific } => new VersionPolicy(VersionPolicyKind.Specific, Specific: specific.Versions),
        _ => fallback,
    };

    /// <summary>The versions to serve out of those on disk, newest first.</summary>
    public IReadOnlyList<long> Select(IEnumerable<long> available)
    {
        var newestFirst = available.OrderDescending();
        return Kind switch
        {
            VersionPolicyKind.All => [.. newestFirst],
            VersionPolicyKind.Specific => [.. newestFirst.Where(v => Specific!.Contains(v))],
            _ => [.. newestFirst.Take(Latest)],
        };
    }

    public override string ToString() => Kind switch
    {
        VersionPolicyKind.All => "all",
        VersionPolicyKind.Specific => $"specific:{string.Join(',', Specific!)}",
        _ => $"latest:{Latest}",
    };
}

/// <summary>The three version policies of Triton's model configuration.</summary>
public enum VersionPolicyKind
{
    Latest,
    All,
    Specific,
}
