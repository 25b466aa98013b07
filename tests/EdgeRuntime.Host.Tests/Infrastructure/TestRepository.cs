using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference.Onnx;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Model repositories in Triton's layout, filled with the project's generated models.</summary>
internal static class TestRepository
{
    /// <summary>A fresh temporary directory for one test's data.</summary>
    public static string NewDataDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes every synthetic model (demo, float_mlp, qoperator_uint8, dynamic_quantized, all_types, multi_io) at version 1.</summary>
    public static string CreateWithSyntheticModels(string dataDirectory)
    {
        var root = Path.Combine(dataDirectory, "models");
        DemoModel.Write(Path.Combine(root, DemoModel.Name, "1"));
        foreach (var model in new[] { SyntheticModels.FloatMlp(), SyntheticModels.QOperatorUInt8(), SyntheticModels.DynamicQuantized(), SyntheticModels.AllTypes(), SyntheticModels.MultiIo() })
        {
            WriteModel(root, model.Name, 1, model.Bytes);
        }

        return root;
    }

    public static void WriteModel(string root, string name, long version, byte[] bytes)
    {
        var directory = Path.Combine(root, name, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), bytes);
    }

    public static void Delete(string dataDirectory)
    {
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A directory still held by a dying process is left for the OS to clean.
        }
    }
}
