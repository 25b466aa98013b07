using System.Globalization;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Deployment;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// The model version a batch job runs, found in the model store the host serves from: its file, configuration and
/// manifest, read by the repository's own readers.
/// </summary>
internal sealed record BatchModel(string Name, string Version, string ModelPath, ModelConfig? Config, ModelManifest? Manifest)
{
    /// <summary>
    /// Finds <paramref name="name"/> at <paramref name="version"/> in the store at <paramref name="root"/>; a null version
    /// picks the one the device serves to unversioned requests: the rollout's stable version when the model has a
    /// <c>rollout.json</c>, else the highest numbered version directory holding the model file.
    /// </summary>
    /// <exception cref="BatchJobException">No such model or version, with what the store holds.</exception>
    public static BatchModel Resolve(string root, string name, string? version)
    {
        if (!ModelRepository.IsValidName(name))
        {
            throw new BatchJobException($"'{name}' is not a valid model name");
        }

        var directory = Path.Combine(root, name);
        if (!Directory.Exists(directory))
        {
            var models = Directory.Exists(root)
                ? Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>().Where(ModelRepository.IsValidName).Order(StringComparer.Ordinal).ToList()
                : [];
            throw new BatchJobException(models.Count == 0
                ? $"model '{name}' is not in the model store {root}, which holds no models"
                : $"model '{name}' is not in the model store {root}; it holds {string.Join(", ", models)}", BatchJobErrorKind.NotFound);
        }

        ModelConfig? config;
        try
        {
            config = ModelRepository.ReadConfig(directory);
        }
        catch (InvalidDataException ex)
        {
            throw new BatchJobException($"model '{name}': {ex.Message}", ex);
        }

        var fileName = ModelRepository.ModelFileName(config);
        var versions = ModelRepository.VersionsOnDisk(directory, fileName);
        versions.Sort();
        var listed = versions.Count == 0
            ? $"it has no version directory holding {fileName}"
            : $"it has {string.Join(", ", versions.Select(v => v.ToString(CultureInfo.InvariantCulture)))}";
        long chosen;
        if (version is not null)
        {
            if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out chosen) || !versions.Contains(chosen))
            {
                throw new BatchJobException($"model '{name}' has no version '{version}'; {listed}", BatchJobErrorKind.NotFound);
            }
        }
        else if (ModelRepository.ReadRollout(directory)?.Stable is { } stable
            && long.TryParse(stable, NumberStyles.None, CultureInfo.InvariantCulture, out var stableVersion)
            && versions.Contains(stableVersion))
        {
            chosen = stableVersion;
        }
        else if (versions.Count > 0)
        {
            chosen = versions[^1];
        }
        else
        {
            throw new BatchJobException($"model '{name}' has no version to run; {listed}");
        }

        var text = chosen.ToString(CultureInfo.InvariantCulture);
        var versionDirectory = Path.Combine(directory, text);
        try
        {
            return new BatchModel(name, text, Path.Combine(versionDirectory, fileName), config, ModelRepository.ReadManifest(versionDirectory));
        }
        catch (InvalidDataException ex)
        {
            throw new BatchJobException($"model '{name}' version {text}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Rows per run, at most <paramref name="max"/>: <paramref name="requested"/> (the job's own, or the one its
    /// checkpoint recorded) for a model whose every input and output has a dynamic first dimension
    /// (<paramref name="batchable"/>). Without one, rows are stacked only when the model's configuration declares batching
    /// — <c>max_batch_size</c> above 0 or a <c>dynamic_batching</c> section, as online serving needs to batch requests —
    /// into runs of the largest preferred batch size, else <c>max_batch_size</c>, else <paramref name="fallback"/>. A dynamic
    /// first dimension alone promises nothing: a Softmax over it, or non-maximum suppression, mixes the rows of a run.
    /// Any other model runs its rows one by one.
    /// </summary>
    public static int BatchSize(ModelConfig? config, bool batchable, int? requested, int fallback, int max)
    {
        if (!batchable)
        {
            return 1;
        }

        if (requested is { } size)
        {
            return Math.Min(size, max);
        }

        if (config is null || (config.MaxBatchSize is not > 0 && config.DynamicBatching is null))
        {
            return 1;
        }

        if (config.DynamicBatching?.PreferredBatchSize is { Count: > 0 } preferred)
        {
            return Math.Clamp(preferred.Max(), 1, max);
        }

        return Math.Min(config.MaxBatchSize is > 0 and var largest ? largest : fallback, max);
    }
}
