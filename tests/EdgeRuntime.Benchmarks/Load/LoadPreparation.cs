using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Benchmarks.Codecs;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// Writes what the load script serves and sends, under <c>--out</c>:
/// <list type="bullet">
/// <item><c>host-off/models</c> and <c>host-on/models</c>: the demo model (<c>demo</c>), the compute-bound
/// model (<c>compute</c>) and, given <c>--paddle</c>, the PaddleOCR v4 detector (<c>ocr</c>), each with a
/// <c>config.json</c>, without and with <c>dynamic_batching</c>;</item>
/// <item><c>profile.json</c>: the <c>default</c> device profile with <c>intraOpThreads</c> set to
/// <c>--intra-op-threads</c>, for the host and the raw runs alike: with 0 ("every core") ONNX Runtime pins
/// its worker threads to every core itself, out of the core the server is confined to;</item>
/// <item><c>bodies/</c>: request bodies (<c>demo.json</c>, <c>demo.bin</c>, <c>compute.bin</c>,
/// <c>ocr.bin</c>), each binary one with a <c>.hlen</c> file holding its
/// <c>Inference-Header-Content-Length</c>.</item>
/// </list>
/// <code>prepare --out DIR [--paddle DIR] [--ocr-side 320] [--queue-delay-us 500] [--intra-op-threads 1]</code>
/// </summary>
internal static class LoadPreparation
{
    private const string PaddleDetector = "ch_PP-OCRv4_det_infer.onnx";

    public static int Run(CommandArguments arguments)
    {
        var output = Path.GetFullPath(arguments.Required("out"));
        var paddle = arguments.Get("paddle");
        var side = (int)arguments.Number("ocr-side", 320);
        var queueDelay = (int)arguments.Number("queue-delay-us", 500);
        var bodies = Path.Combine(output, "bodies");
        Directory.CreateDirectory(bodies);
        var profile = DeviceProfiles.Load("default") with { Name = "default-pinned", IntraOpThreads = (int)arguments.Number("intra-op-threads", 1) };
        File.WriteAllText(Path.Combine(output, "profile.json"), JsonSerializer.Serialize(profile, DeviceJsonContext.Default.DeviceProfile));

        foreach (var batching in new[] { false, true })
        {
            var models = Path.Combine(output, batching ? "host-on" : "host-off", "models");
            DemoModel.Write(Path.Combine(models, "demo", "1"));
            // Small models batch what queued while the previous run ran (no delay); the compute-bound one
            // waits up to the queue delay for a full batch of 64, one per 64 connections.
            WriteConfig(models, "demo", maxBatchSize: 32, [8, 16, 32], batching ? 0 : null);
            WriteModel(models, "compute", SyntheticModels.ComputeBound().Bytes);
            WriteConfig(models, "compute", maxBatchSize: 64, [], batching ? queueDelay : null);
            if (paddle is not null)
            {
                WriteModel(models, "ocr", File.ReadAllBytes(Path.Combine(paddle, PaddleDetector)));
                WriteConfig(models, "ocr", maxBatchSize: 8, [4, 8], batching ? 0 : null);
            }
        }

        float[] readings = [1, 2, 3, 4];
        File.WriteAllBytes(Path.Combine(bodies, "demo.json"), TensorBodies.Json(readings, "input"));
        WriteBinary(bodies, "demo", TensorBodies.Binary(readings, "input"));
        var width = SyntheticModels.ComputeBoundWeights.Width;
        WriteBinary(bodies, "compute", TensorBodies.Binary(Pattern(width), "x", [1, width]));
        if (paddle is not null)
        {
            WriteBinary(bodies, "ocr", TensorBodies.Binary(Page(side), "x", [1, 3, side, side]));
        }

        Console.WriteLine($"prepared {output}");
        return 0;
    }

    private static void WriteModel(string models, string name, byte[] bytes)
    {
        var version = Path.Combine(models, name, "1");
        Directory.CreateDirectory(version);
        File.WriteAllBytes(Path.Combine(version, "model.onnx"), bytes);
    }

    /// <summary>Triton's model configuration: batching off is a batchable model without <c>dynamic_batching</c>.</summary>
    private static void WriteConfig(string models, string name, int maxBatchSize, int[] preferred, int? queueDelayMicroseconds)
    {
        var dynamicBatching = queueDelayMicroseconds is { } delay
            ? string.Create(
                CultureInfo.InvariantCulture,
                $$$""", "dynamic_batching": {"preferred_batch_size": [{{{string.Join(", ", preferred)}}}], "max_queue_delay_microseconds": {{{delay}}}, "default_queue_policy": {"max_queue_size": 1024}}""")
            : "";
        File.WriteAllText(Path.Combine(models, name, "config.json"), $$"""{"max_batch_size": {{maxBatchSize}}{{dynamicBatching}}}""" + "\n");
    }

    private static void WriteBinary(string bodies, string name, (byte[] Body, int HeaderLength) binary)
    {
        File.WriteAllBytes(Path.Combine(bodies, name + ".bin"), binary.Body);
        File.WriteAllText(Path.Combine(bodies, name + ".bin.hlen"), binary.HeaderLength.ToString(CultureInfo.InvariantCulture));
    }

    private static float[] Pattern(int count) => [.. Enumerable.Range(0, count).Select(i => ((i % 41) - 20) / 20f)];

    /// <summary>A dark text line on a light page, normalised roughly as PaddleOCR expects.</summary>
    private static float[] Page(int side)
    {
        var image = new float[3 * side * side];
        for (var i = 0; i < image.Length; i++)
        {
            var y = i / side % side;
            image[i] = y > side * 3 / 8 && y < side * 5 / 8 && i % side > side / 8 ? -1.5f : 1.8f;
        }

        return image;
    }
}
