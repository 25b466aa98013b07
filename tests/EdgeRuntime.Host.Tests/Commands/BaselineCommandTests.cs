using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Serving;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Host.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Tests.Commands;

/// <summary><c>edge-runtime baseline</c> as a real process: the three formats agree, the manifest it writes loads, bad input exits 2.</summary>
public sealed class BaselineCommandTests
{
    private const int Rows = 300;
    private string _data = null!;
    private float[] _values = null!;

    [SetUp]
    public void SetUp()
    {
        _data = TestRepository.NewDataDirectory("baseline");
        var random = new Random(42);

        // Multiples of 1/8 in [-16, 16): exact in FP32 and in decimal text, so every format carries the same numbers.
        _values = [.. Enumerable.Range(0, Rows * 4).Select(_ => random.Next(-128, 128) * 0.125f)];
    }

    [TearDown]
    public void TearDown() => TestRepository.Delete(_data);

    [Test]
    public async Task Run_CsvJsonlAndNpyOfTheSameData_GiveTheSameBaseline()
    {
        var csv = WriteCsv();
        var jsonl = WriteJsonl();
        var npy = Path.Combine(_data, "data.npy");
        await File.WriteAllBytesAsync(npy, NpyFile.Write("<f4", [Rows, 4], [.. _values.SelectMany(BitConverter.GetBytes)]));

        var fromCsv = await BaselineOfAsync(csv);
        var fromJsonl = await BaselineOfAsync(jsonl);
        var fromNpy = await BaselineOfAsync(npy);

        Assert.That(fromCsv.Rows, Is.EqualTo(Rows));
        Assert.That(fromCsv.Inputs.Select(f => f.Feature), Is.EqualTo(new[] { "input[0]", "input[1]", "input[2]", "input[3]" }));
        Assert.That(fromCsv.Inputs[0].Proportions, Has.Count.EqualTo(10));
        foreach (var other in new[] { fromJsonl, fromNpy })
        {
            Assert.That(other.Rows, Is.EqualTo(fromCsv.Rows));
            Assert.That(Json(other.Inputs), Is.EqualTo(Json(fromCsv.Inputs)));
        }
    }

    [Test]
    public async Task Run_WriteManifestOnAModelVersion_WritesABaselineTheRepositoryLoadsAndMonitors()
    {
        var root = Path.Combine(_data, "models");
        var version = Path.Combine(root, "float_mlp", "1");
        TestRepository.WriteModel(root, "float_mlp", 1, SyntheticModels.FloatMlp().Bytes);
        await File.WriteAllTextAsync(Path.Combine(version, "manifest.json"), """{"description": "kept", "future_field": {"x": 1}}""");

        var result = await CommandProcess.RunAsync(_data, "baseline", "--input", WriteCsv(), "--model", version, "--write-manifest");

        Assert.That(result.ExitCode, Is.Zero, result.Error);
        var text = await File.ReadAllTextAsync(Path.Combine(version, "manifest.json"));
        Assert.That(text, Does.Contain("future_field"));
        using var repository = new ModelRepository(
            Options.Create(new EdgeRuntimeOptions { DataDirectory = _data, RepositoryPollSeconds = 0, InstallDemoModel = false }),
            new ModelSessionFactory(new DeviceProfile(), null, NullLogger<ModelSessionFactory>.Instance),
            NullLogger<ModelRepository>.Instance);
        await repository.ScanAsync();
        var session = repository.Acquire("float_mlp", null);
        try
        {
            Assert.That(session.Manifest?.Description, Is.EqualTo("kept"));
            Assert.That(session.Manifest?.DriftBaseline?.Outputs?.Select(f => f.Feature), Is.EqualTo(new[] { "probabilities[0]", "probabilities[1]", "probabilities[2]" }));
        }
        finally
        {
            session.Release();
        }

        var drift = new DriftDetector(Options.Create(new DriftOptions { WindowRows = Rows }), NullLogger<DriftDetector>.Instance, TimeProvider.System);
        var router = new ModelRouter(repository, new ResponseCache(Options.Create(new ResponseCacheOptions())), [drift]);
        var reports = new List<DriftReport>();
        drift.WindowCompleted += reports.Add;
        for (var row = 0; row < Rows; row += 100)
        {
            using var request = new InferenceRequest { Inputs = [new InferenceTensor("input", TensorDataType.Fp32, [100, 4], _values.AsSpan(row * 4, 400).ToArray().SelectMany(BitConverter.GetBytes).ToArray())] };
            using var response = await router.InferAsync("float_mlp", null, request);
        }

        // The very rows the baseline came from: drift reads zero on every feature, inputs and outputs.
        var report = reports.Single();
        Assert.That((report.Model, report.Version, report.State), Is.EqualTo(("float_mlp", "1", DriftState.Ok)));
        Assert.That(report.Features, Has.Count.EqualTo(7));
        Assert.That(report.Features.Max(f => f.Psi), Is.LessThan(1e-9));
    }

    [Test]
    public async Task Run_MalformedCsvLine_ExitsTwoNamingTheLineAndColumn()
    {
        var csv = Path.Combine(_data, "bad.csv");
        await File.WriteAllTextAsync(csv, "a,b\n1,2\n3,4\n5,oops\n");

        var result = await CommandProcess.RunAsync(_data, "baseline", "--input", csv);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("line 4, column 2 ('b'): 'oops' is not a number"));
    }

    [Test]
    public async Task Run_MalformedJsonlLine_ExitsTwoNamingTheLine()
    {
        var jsonl = Path.Combine(_data, "bad.jsonl");
        await File.WriteAllTextAsync(jsonl, """
            {"inputs":[{"name":"input","shape":[1,2],"datatype":"FP32","data":[1,2]}]}
            {"inputs":[{"name":"input","shape":[1,2],"datatype":"FP32","data":[1]}]}
            """);

        var result = await CommandProcess.RunAsync(_data, "baseline", "--input", jsonl);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("bad.jsonl: line 2:"));
    }

    [Test]
    public async Task Run_UnknownOptionOrMissingInput_ExitsTwoWithUsage()
    {
        var unknown = await CommandProcess.RunAsync(_data, "baseline", "--inptu", "x.csv");
        var missing = await CommandProcess.RunAsync(_data, "baseline", "--bins", "5");

        Assert.That(unknown.ExitCode, Is.EqualTo(2));
        Assert.That(unknown.Error, Does.Contain("unknown option '--inptu'").And.Contain("usage:"));
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Does.Contain("--input is required"));
    }

    private async Task<DriftBaseline> BaselineOfAsync(string input)
    {
        var result = await CommandProcess.RunAsync(_data, "baseline", "--input", input);
        Assert.That(result.ExitCode, Is.Zero, result.Error);
        return JsonSerializer.Deserialize(result.Output, ContractsJsonContext.Default.DriftBaseline)!;
    }

    private string WriteCsv()
    {
        var text = new StringBuilder("id,x0,x1,x2,x3\n");
        for (var row = 0; row < Rows; row++)
        {
            text.Append(CultureInfo.InvariantCulture, $"row{row},{string.Join(',', _values.Skip(row * 4).Take(4).Select(v => v.ToString(CultureInfo.InvariantCulture)))}\n");
        }

        var path = Path.Combine(_data, "data.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private string WriteJsonl()
    {
        // Uneven batches, to show rows rather than requests are what count.
        var text = new StringBuilder();
        for (int row = 0, size = 1; row < Rows; row += size, size = (size % 7) + 1)
        {
            var count = Math.Min(size, Rows - row);
            var data = string.Join(',', _values.Skip(row * 4).Take(count * 4).Select(v => v.ToString(CultureInfo.InvariantCulture)));
            text.Append(CultureInfo.InvariantCulture, $$"""{"inputs":[{"name":"input","shape":[{{count}},4],"datatype":"FP32","data":[{{data}}]}]}""").Append('\n');
        }

        var path = Path.Combine(_data, "data.jsonl");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string Json(IReadOnlyList<FeatureBaseline> features) =>
        string.Join("\n", features.Select(f => JsonSerializer.Serialize(f, ContractsJsonContext.Default.FeatureBaseline)));
}
