using System.Runtime.InteropServices;
using System.Text;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>A temporary folder for the batch input tests' files, and ways to read an input's rows back.</summary>
internal sealed class InputFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edge-runtime-tests", $"batch-inputs-{Guid.NewGuid():N}");

    public InputFolder()
    {
        Directory.CreateDirectory(Path);
    }

    /// <summary>A model input of <paramref name="type"/> and <paramref name="shape"/>.</summary>
    public static TensorMetadata[] Input(string name, TensorDataType type, params long[] shape) => [new(name, type, shape)];

    public string Write(string name, string text)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    public string Write(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Opens <paramref name="path"/> and reads every row from <paramref name="fromIndex"/> as plain values.</summary>
    public static List<RowValues> ReadAll(string path, IReadOnlyList<TensorMetadata> inputs, long fromIndex = 0, BatchInputOptions? options = null, Contracts.Models.ModelManifest? manifest = null)
    {
        using var input = BatchInputs.Open((options ?? new BatchInputOptions { Path = path }) with { Path = path }, inputs, manifest);
        return ReadAll(input, fromIndex);
    }

    public static List<RowValues> ReadAll(IBatchInput input, long fromIndex = 0)
    {
        var rows = new List<RowValues>();
        foreach (var row in input.Read(fromIndex, CancellationToken.None))
        {
            using (row)
            {
                rows.Add(new RowValues(
                    row.Index,
                    row.Key,
                    row.Error,
                    [.. row.Inputs.Select(t => t.Name)],
                    [.. row.Inputs.Select(t => t.Shape)],
                    [.. row.Inputs.Select(t => t.DataType)],
                    [.. row.Inputs.Select(t => t.Data.ToArray())],
                    row.Rows));
            }
        }

        return rows;
    }

    public static float[] Floats(byte[] data) => MemoryMarshal.Cast<byte, float>(data).ToArray();

    public static byte[] Bytes(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}

/// <summary>A row as it came out of an input, copied so the row itself could be disposed.</summary>
internal sealed record RowValues(long Index, string Key, string? Error, string[] Names, long[][] Shapes, TensorDataType[] Types, byte[][] Data, int Rows)
{
    public float[] Floats => InputFolder.Floats(Data[0]);
}
