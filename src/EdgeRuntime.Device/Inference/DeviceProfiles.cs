using System.Text.Json;

namespace EdgeRuntime.Device.Inference;

/// <summary>Finds, reads and checks device profiles.</summary>
public static class DeviceProfiles
{
    /// <summary>The folder beside the executable that holds the profiles shipped with it.</summary>
    public static string BundledDirectory => Path.Combine(AppContext.BaseDirectory, "profiles");

    /// <summary>
    /// Resolves <paramref name="nameOrPath"/>: a path to a JSON file, or the name of a bundled profile.
    /// Throws <see cref="InvalidDataException"/> with a message naming the problem.
    /// </summary>
    public static DeviceProfile Load(string nameOrPath)
    {
        var path = nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || nameOrPath.Contains(Path.DirectorySeparatorChar)
            ? Path.GetFullPath(nameOrPath)
            : Path.Combine(BundledDirectory, nameOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Directory.Exists(BundledDirectory)
                ? string.Join(", ", Directory.EnumerateFiles(BundledDirectory, "*.json").Select(Path.GetFileNameWithoutExtension).Order())
                : "none";
            throw new InvalidDataException($"'{nameOrPath}' is neither a profile file nor a bundled profile (bundled: {known})");
        }

        DeviceProfile? profile;
        try
        {
            using var stream = File.OpenRead(path);
            profile = JsonSerializer.Deserialize(stream, DeviceJsonContext.Default.DeviceProfile);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }

        if (profile is null)
        {
            throw new InvalidDataException($"{path}: the file holds no profile");
        }

        var problems = Validate(profile);
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: {string.Join("; ", problems)}");
        }

        return profile with { SourcePath = path };
    }

    /// <summary>Lists what is wrong with a profile, each naming its key; empty when it is fine.</summary>
    public static IReadOnlyList<string> Validate(DeviceProfile profile)
    {
        var problems = new List<string>();
        if (profile.ExecutionProviders.Count == 0)
        {
            problems.Add("executionProviders: list at least one provider (CPU is always a safe last entry)");
        }

        foreach (var provider in profile.ExecutionProviders)
        {
            if (!ExecutionProviders.IsKnown(provider))
            {
                problems.Add($"executionProviders: '{provider}' is not a known provider ({string.Join(", ", ExecutionProviders.KnownNames)})");
            }
        }

        foreach (var provider in profile.ProviderOptions.Keys)
        {
            if (!ExecutionProviders.IsKnown(provider))
            {
                problems.Add($"providerOptions: '{provider}' is not a known provider");
            }
        }

        if (profile.IntraOpThreads < 0)
        {
            problems.Add($"intraOpThreads: {profile.IntraOpThreads} is negative (0 lets ONNX Runtime choose)");
        }

        if (profile.InterOpThreads < 0)
        {
            problems.Add($"interOpThreads: {profile.InterOpThreads} is negative");
        }

        if (!ExecutionProviders.TryParseOptimizationLevel(profile.GraphOptimizationLevel, out _))
        {
            problems.Add($"graphOptimizationLevel: '{profile.GraphOptimizationLevel}' is not one of disabled, basic, extended, all");
        }

        if (profile.MemoryBudgetMb < 0 || profile.StorageBudgetMb < 0)
        {
            problems.Add("memoryBudgetMb/storageBudgetMb: budgets cannot be negative");
        }

        return problems;
    }
}
