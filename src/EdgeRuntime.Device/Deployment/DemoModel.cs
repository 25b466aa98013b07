using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Deployment;

/// <summary>The bundled demo model: generated, not downloaded, and written into an empty repository on first start.</summary>
public static partial class DemoModel
{
    public const string Name = "demo";

    /// <summary>Writes <c>demo/1/model.onnx</c> and its manifest when the repository holds no model at all.</summary>
    public static bool InstallIfEmpty(string repositoryRoot, ILogger logger)
    {
        Directory.CreateDirectory(repositoryRoot);
        if (Directory.EnumerateDirectories(repositoryRoot).Any())
        {
            return false;
        }

        Write(Path.Combine(repositoryRoot, Name, "1"));
        LogInstalled(logger, Path.Combine(repositoryRoot, Name));
        return true;
    }

    /// <summary>Writes the demo model version into <paramref name="versionDirectory"/>.</summary>
    public static void Write(string versionDirectory)
    {
        Directory.CreateDirectory(versionDirectory);
        var model = SyntheticModels.Demo();
        var weights = SyntheticModels.DemoWeights;
        File.WriteAllBytes(Path.Combine(versionDirectory, "model.onnx"), model.Bytes);
        var manifest = new ModelManifest
        {
            Name = Name,
            Version = model.Version,
            Description = model.Description,
            Labels = weights.Labels,
            Inputs = [new ManifestTensor("input", "FP32", [-1, 4])],
            Outputs = [new ManifestTensor("probabilities", "FP32", [-1, 3])],
        };
        File.WriteAllText(Path.Combine(versionDirectory, "manifest.json"), JsonSerializer.Serialize(manifest, ContractsJsonContext.Default.ModelManifest));
    }

    [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Empty model repository: installed the demo model at {Path}")]
    private static partial void LogInstalled(ILogger logger, string path);
}
