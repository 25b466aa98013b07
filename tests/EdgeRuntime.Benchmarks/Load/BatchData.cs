using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// Writes what the batch-job benchmark (<c>SCENARIO=batch tests/bench/run.sh</c>) scores, under <c>--out</c>:
/// <list type="bullet">
/// <item><c>models/</c>: the scorer (<c>scorer</c>, FP32 [batch, 64] → [batch, 8], <c>max_batch_size</c> 64) and the demo model (<c>demo</c>);</item>
/// <item><c>scorer.npy</c>: <c>--rows</c> rows of 64 FP32 values; <c>demo.csv</c>: as many rows of four readings;</item>
/// <item><c>profile-1.json</c>: the <c>default</c> device profile with one intra-op thread, so a raw run computes on the
/// calling thread as a batch job's workers do.</item>
/// </list>
/// <code>batch-data --out DIR [--rows 500000]</code>
/// </summary>
internal static class BatchData
{
    private const int Width = SyntheticModels.ScorerFeatures;

    public static int Run(CommandArguments arguments)
    {
        var output = Path.GetFullPath(arguments.Required("out"));
        var rows = (long)arguments.Number("rows", 500_000);
        var models = Path.Combine(output, "models");
        Directory.CreateDirectory(Path.Combine(models, "scorer", "1"));
        File.WriteAllBytes(Path.Combine(models, "scorer", "1", "model.onnx"), SyntheticModels.Scorer().Bytes);

        // Its rows are independent: declared, since a batch job stacks rows only for models that declare batching.
        File.WriteAllText(Path.Combine(models, "scorer", "config.json"), "{\"max_batch_size\": 64}\n");
        DemoModel.Write(Path.Combine(models, "demo", "1"));
        var profile = DeviceProfiles.Load("default") with { Name = "default-single", IntraOpThreads = 1 };
        File.WriteAllText(Path.Combine(output, "profile-1.json"), JsonSerializer.Serialize(profile, DeviceJsonContext.Default.DeviceProfile));
        WriteNpy(Path.Combine(output, "scorer.npy"), rows);
        using (var csv = new StreamWriter(Path.Combine(output, "demo.csv"), append: false, Encoding.ASCII))
        {
            csv.WriteLine("a,b,c,d");
            for (var row = 0L; row < rows; row++)
            {
                csv.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Reading(row, 0)},{Reading(row, 1)},{Reading(row, 2)},{Reading(row, 3)}"));
            }
        }

        Console.Error.WriteLine($"batch-data: {rows} rows in {output}");
        return 0;
    }

    /// <summary>A version 1.0 .npy file of <paramref name="rows"/> × 64 little-endian FP32 values.</summary>
    private static void WriteNpy(string path, long rows)
    {
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {Width}), }}";
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64 and ended by a newline.
        var padded = header.PadRight((((10 + header.Length + 1 + 63) / 64) * 64) - 10 - 1) + "\n";
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        file.Write(BitConverter.GetBytes(checked((ushort)padded.Length)));
        file.Write(Encoding.ASCII.GetBytes(padded));
        var row = new float[Width];
        for (var r = 0L; r < rows; r++)
        {
            for (var i = 0; i < Width; i++)
            {
                row[i] = (((r * 31) + (i * 7)) % 41 - 20) / 20f;
            }

            file.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(row.AsSpan()));
        }
    }

    private static string Reading(long row, int column) =>
        ((((row * 13) + (column * 5)) % 256 / 8.0) - 16).ToString("0.###", CultureInfo.InvariantCulture);
}
