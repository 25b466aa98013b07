using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeRuntime.Device.Deployment;
using Microsoft.ML.OnnxRuntime;

// Issue-2 figures, measured side by side in one run on the same machine:
//   1. p50/p99 latency of one infer of the demo model through the API (JSON and binary, one keep-alive connection),
//   2. p50/p99 of a direct InferenceSession.Run of the same model (the compute floor),
//   3. the host's start-to-ready time (process start until /v2/health/ready answers 200), cold and with a warm cache.
// Usage: dotnet run -c Release --project tests/EdgeRuntime.Benchmarks [-- iterations]
var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
var data = Path.Combine(Path.GetTempPath(), $"edge-bench-{Guid.NewGuid():N}");
Directory.CreateDirectory(data);
var modelPath = Path.Combine(data, "models", DemoModel.Name, "1", "model.onnx");
DemoModel.Write(Path.GetDirectoryName(modelPath)!);
float[] row = [1, 2, 3, 4];

Console.WriteLine($"EdgeRuntime benchmark: {Environment.ProcessorCount} cores, {RuntimeTrimming()}, {iterations} iterations");

// Direct ONNX Runtime, same model, same session options as the host's generic profile (all optimisations).
using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, InterOpNumThreads = 1 })
using (var session = new InferenceSession(modelPath, options))
{
    var samples = new double[iterations];
    for (var i = -500; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        using var input = OrtValue.CreateTensorValueFromMemory(row, [1, 4]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input"], [input], ["probabilities"]);
        if (i >= 0)
        {
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    Report("InferenceSession.Run (direct)", samples);
}

var hostDll = Path.Combine(AppContext.BaseDirectory, "edge-runtime.dll");
await using (var host = await HostProcess.StartAsync(hostDll, data))
{
    using var client = new HttpClient { BaseAddress = host.BaseAddress };
    var json = """{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
    Report("API infer, JSON", await TimeAsync(client, iterations, () => new StringContent(json, Encoding.UTF8, "application/json")));

    var header = """{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}],"parameters":{"binary_data_output":true}}""";
    var body = Encoding.UTF8.GetBytes(header).Concat(row.SelectMany(BitConverter.GetBytes)).ToArray();
    Report("API infer, binary", await TimeAsync(client, iterations, () =>
    {
        var content = new ByteArrayContent(body);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(CultureInfo.InvariantCulture));
        return content;
    }));

    Report("API GET /v2/health/live (HTTP floor)", await GetAsync(client, iterations, "/v2/health/live"));
}

var cold = new List<double>();
var warm = new List<double>();
for (var i = 0; i < 5; i++)
{
    var fresh = Path.Combine(data, $"start-{i}");
    Directory.CreateDirectory(fresh);
    foreach (var (list, directory) in new[] { (cold, fresh), (warm, fresh) })
    {
        var stopwatch = Stopwatch.StartNew();
        await using var host = await HostProcess.StartAsync(hostDll, directory);
        await host.WaitReadyAsync();
        list.Add(stopwatch.Elapsed.TotalMilliseconds);
    }
}

Console.WriteLine($"start-to-ready, empty data dir (demo install + optimise): median {Median(cold):F0} ms (of {cold.Count})");
Console.WriteLine($"start-to-ready, warm optimised-model cache:            median {Median(warm):F0} ms (of {warm.Count})");
Directory.Delete(data, recursive: true);

static async Task<double[]> TimeAsync(HttpClient client, int iterations, Func<HttpContent> content)
{
    var samples = new double[iterations];
    for (var i = -500; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync("/v2/models/demo/infer", content());
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
        if (i >= 0)
        {
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    return samples;
}

static async Task<double[]> GetAsync(HttpClient client, int iterations, string path)
{
    var samples = new double[iterations];
    for (var i = -500; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(path);
        await response.Content.ReadAsByteArrayAsync();
        if (i >= 0)
        {
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
    }

    return samples;
}

static void Report(string name, double[] samples)
{
    Array.Sort(samples);
    Console.WriteLine($"{name,-40} p50 {samples[samples.Length / 2],8:F1} µs   p99 {samples[(int)(samples.Length * 0.99)],8:F1} µs");
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static string RuntimeTrimming() => $".NET {Environment.Version}, ORT {OrtEnv.Instance().GetVersionString()}";

/// <summary>The host as a child process on an ephemeral loopback port.</summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HostProcess> StartAsync(string hostDll, string data)
    {
        var info = new ProcessStartInfo("dotnet", [hostDll, "--urls", "http://127.0.0.1:0", "--data", data, "--EdgeRuntime:RepositoryPollSeconds", "0", "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = data,
        };
        var process = Process.Start(info)!;
        var listening = new TaskCompletionSource<Uri>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && Listening().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new HostProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    public async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress };
        while (true)
        {
            using var response = await client.GetAsync("/v2/health/ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(2);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
