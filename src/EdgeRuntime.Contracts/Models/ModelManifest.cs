using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// <c>manifest.json</c> beside a model version: what it is, its files and the tensors it promises. Packages
/// (<c>.edgepkg</c>) always carry one; a plain repository directory may.
/// </summary>
public sealed record ModelManifest
{
    public string? Name { get; init; }

    public string? Version { get; init; }

    public string? Description { get; init; }

    /// <summary>Class names for classifier outputs, index by index.</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    public IReadOnlyList<ManifestFile>? Files { get; init; }

    /// <summary>Inputs the model must have; a load fails when the model disagrees.</summary>
    public IReadOnlyList<ManifestTensor>? Inputs { get; init; }

    public IReadOnlyList<ManifestTensor>? Outputs { get; init; }

    /// <summary>How the model was quantized, as its producer describes it (e.g. "int8 QDQ static").</summary>
    public string? Quantization { get; init; }

    /// <summary>The distribution the device compares live traffic against; absent, the version is not monitored for drift.</summary>
    [JsonPropertyName("drift_baseline")]
    public DriftBaseline? DriftBaseline { get; init; }

    /// <summary>Inputs to run once the version loads and the outputs they must give; a package is staged only when it passes.</summary>
    [JsonPropertyName("smoke_test")]
    public SmokeTest? SmokeTest { get; init; }

    /// <summary>How raw data (images) becomes the model's input; used by batch jobs over image folders.</summary>
    public ModelPreprocessing? Preprocessing { get; init; }

    /// <summary>When the package was built, Unix milliseconds.</summary>
    [JsonPropertyName("created_ms")]
    public long? CreatedMs { get; init; }
}

/// <summary>
/// A model version's self-check: <see cref="Inputs"/> run on the freshly loaded version must give <see cref="Expected"/>,
/// element by element within <c>|actual - expected| &lt;= absolute + relative * |expected|</c>.
/// </summary>
public sealed record SmokeTest
{
    [JsonPropertyName("inputs")]
    public required IReadOnlyList<SmokeTensor> Inputs { get; init; }

    [JsonPropertyName("expected")]
    public required IReadOnlyList<SmokeTensor> Expected { get; init; }

    [JsonPropertyName("absolute_tolerance")]
    public double AbsoluteTolerance { get; init; } = 1e-4;

    [JsonPropertyName("relative_tolerance")]
    public double RelativeTolerance { get; init; } = 1e-3;
}

/// <summary>A tensor of a smoke test: OIP datatype (numeric or BOOL), concrete shape, data flattened in row-major order.</summary>
public sealed record SmokeTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("data")] IReadOnlyList<double> Data);

/// <summary>A file of a model version with its size and SHA-256 (lowercase hex).</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256);

/// <summary>A tensor a manifest promises: name, OIP datatype, shape with -1 for dynamic dimensions.</summary>
public sealed record ManifestTensor(string Name, string Datatype, IReadOnlyList<long> Shape);
