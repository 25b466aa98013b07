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
        throw new NotImplementedException("waiting for the ONNX builder");
    }

    [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Empty model repository: installed the demo model at {Path}")]
    private static partial void LogInstalled(ILogger logger, string path);
}
