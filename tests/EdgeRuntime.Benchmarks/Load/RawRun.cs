using System.Diagnostics;
using System.Runtime.InteropServices;
using EdgeRuntime.Device.Inference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// The compute floor: <c>InferenceSession.Run</c> in a loop on one FP32 input, with the session options the
/// host uses for the device profile, the input bound once and every output fetched. The input is the
/// tensor of a binary request body (<c>--body</c>, after its <c>--header-length</c> bytes of JSON), so it
/// is the data the host is sent (repeated for a larger batch), else a fixed pattern. Runs for <c>--warmup</c> seconds, then measures
/// for <c>--seconds</c> and prints one <see cref="LoadResult"/> line. With <c>--threads N</c>, N threads run the loop at
/// once on the one session (as a batch job's workers do), each on its own copy of the input.
/// <code>raw-run --model m.onnx --shape 1,4 [--body demo.bin --header-length 139] [--input name] [--seconds 8] [--warmup 2] [--profile default] [--threads 1]</code>
/// </summary>
internal static class RawRun
{
    public static int Run(CommandArguments arguments)
    {
        var modelPath = arguments.Required("model");
        var shape = arguments.Shape("shape");
        var warmup = TimeSpan.FromSeconds(arguments.Number("warmup", 2));
        var duration = TimeSpan.FromSeconds(arguments.Number("seconds", 8));
        using var options = ProfileSessionOptions.Create(DeviceProfiles.Load(arguments.Get("profile") ?? "default"));
        using var session = new InferenceSession(modelPath, options);
        var inputName = arguments.Get("input") ?? session.InputNames.Single();
        if (session.InputMetadata[inputName].ElementDataType != TensorElementType.Float)
        {
            throw new ArgumentException($"input '{inputName}' is {session.InputMetadata[inputName].ElementDataType}; raw-run feeds FP32 only");
        }

        var data = new float[InferenceTensor.ElementCountOf(shape)];
        if (arguments.Get("body") is { } body)
        {
            // A batch larger than the body's tensor repeats it, row after row.
            var tensor = File.ReadAllBytes(body).AsSpan((int)arguments.Number("header-length", 0));
            var room = MemoryMarshal.AsBytes(data.AsSpan());
            if (tensor.Length == 0 || room.Length % tensor.Length != 0)
            {
                throw new ArgumentException($"{body} carries {tensor.Length} tensor bytes; shape {InferenceTensor.FormatShape(shape)} needs {room.Length} (or a multiple of the body's)");
            }

            for (var offset = 0; offset < room.Length; offset += tensor.Length)
            {
                tensor.CopyTo(room[offset..]);
            }
        }
        else
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = ((i % 41) - 20) / 20f;
            }
        }

        var threads = (int)arguments.Number("threads", 1);
        if (threads < 1)
        {
            throw new ArgumentException("--threads must be at least 1");
        }

        var perThread = new List<double>[threads];
        var elapsed = new TimeSpan[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            using var input = OrtValue.CreateTensorValueFromMemory((float[])data.Clone(), shape);
            using var runOptions = new RunOptions();
            string[] inputNames = [inputName];
            OrtValue[] inputs = [input];
            var outputNames = session.OutputNames;
            Loop(session, runOptions, inputNames, inputs, outputNames, warmup, samples: null);
            perThread[t] = new List<double>(1 << 16);
            elapsed[t] = Loop(session, runOptions, inputNames, inputs, outputNames, duration, perThread[t]);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Console.WriteLine(LoadResult.Format([.. perThread.SelectMany(s => s)], elapsed.Max(), errors: 0));
        return 0;
    }

    private static TimeSpan Loop(
        InferenceSession session, RunOptions runOptions, string[] inputNames, OrtValue[] inputs, IReadOnlyList<string> outputNames, TimeSpan duration, List<double>? samples)
    {
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            var runStart = Stopwatch.GetTimestamp();
            using (session.Run(runOptions, inputNames, inputs, outputNames))
            {
            }

            var now = Stopwatch.GetTimestamp();
            samples?.Add(Stopwatch.GetElapsedTime(runStart, now).TotalMicroseconds);
            var elapsed = Stopwatch.GetElapsedTime(start, now);
            if (elapsed >= duration)
            {
                return elapsed;
            }
        }
    }
}
