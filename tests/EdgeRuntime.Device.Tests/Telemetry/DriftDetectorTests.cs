using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>
/// The drift detector on real sessions of the generated models: quiet on the baseline's own distribution
/// over many windows, loud on a shifted stream, and reports named for the model, version and features.
/// </summary>
public sealed class DriftDetectorTests
{
    private const int Features = 4;
    private static readonly double[] FeatureMeans = [0, 5, -3, 100];
    private static readonly double[] FeatureSigmas = [1, 2, 0.5, 10];
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    [Test]
    public void Observe_UnshiftedStreamOver200Windows_StaysQuiet()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector();
        var reports = Collect(detector);
        var random = new Random(2024);

        Stream(detector, session, random, windows: 200, rows: 1000, shift: (_, v) => v);

        // Under no drift, n·PSI over 10 bins is about χ² with 9 degrees of freedom, so PSI ≥ 0.1 in a
        // 1000-row window needs χ²₉ ≥ 100: probability < 1e-15. KS ≥ 0.1 has probability ≤ 2e^(−2·1000·0.01)
        // ≈ 4e-9 (Dvoretzky–Kiefer–Wolfowitz). Over 200 windows × 4 features the expected count of warn
        // windows is below 1e-5, so allowing 2 is generous and any alert is a defect.
        Assert.That(reports, Has.Count.EqualTo(200));
        Assert.That(reports.Count(r => r.State == DriftState.Alert), Is.Zero);
        Assert.That(reports.Count(r => r.State == DriftState.Warn), Is.LessThanOrEqualTo(2));

        // And the statistics really were computed from the traffic: mean PSI near its null expectation 9/1000.
        var meanPsi = reports.SelectMany(r => r.Features).Average(f => f.Psi);
        Assert.That(meanPsi, Is.InRange(0.005, 0.015));
        Assert.That(reports.All(r => r.Features.Count == Features && r.Rows == 1000), Is.True);
    }

    [Test]
    public void Observe_MeanShiftedByThreeQuarterSigma_AlertsInTheFirstWindow()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector();
        var reports = Collect(detector);

        Stream(detector, session, new Random(7), windows: 1, rows: 1000, shift: (j, v) => j == 2 ? v + (0.75 * FeatureSigmas[2]) : v);

        // Expected PSI ≈ 0.5 with a standard deviation of about 0.05 over 1000 rows: an alert in any window.
        var report = reports.Single();
        Assert.That(report.State, Is.EqualTo(DriftState.Alert));
        Assert.That(report.Features.Where(f => f.State != DriftState.Ok).Select(f => f.Feature), Is.EqualTo(new[] { "input[2]" }));
    }

    [Test]
    public void Observe_MeanShiftedByHalfSigma_WarnsInEveryWindowAndAveragesTheTextbookPsi()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector();
        var reports = Collect(detector);

        Stream(detector, session, new Random(17), windows: 20, rows: 1000, shift: (j, v) => j == 2 ? v + (0.5 * FeatureSigmas[2]) : v);

        // A 0.5σ shift sits on the alert line (PSI 0.238, KS 0.197), so sampling noise puts a few 1000-row
        // windows below it; none comes near the warn line (PSI 0.1 is over 3 standard deviations away).
        var psi = reports.Select(r => r.Features.Single(f => f.Feature == "input[2]").Psi).ToList();
        Assert.That(reports.All(r => r.State >= DriftState.Warn), Is.True);
        Assert.That(reports.Count(r => r.State == DriftState.Alert), Is.GreaterThan(reports.Count / 2));
        Assert.That(psi.Average(), Is.EqualTo(0.2377 + 0.009).Within(0.03), "the decile PSI of a 0.5σ shift, plus the 9/n sampling bias");
    }

    [Test]
    public void Observe_ScaleDoubled_AlertsInTheFirstWindow()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector();
        var reports = Collect(detector);

        Stream(detector, session, new Random(8), windows: 1, rows: 1000, shift: (j, v) => j == 0 ? FeatureMeans[0] + (2 * (v - FeatureMeans[0])) : v);

        var report = reports.Single();
        Assert.That(report.State, Is.EqualTo(DriftState.Alert));
        Assert.That(report.Features.Where(f => f.State != DriftState.Ok).Select(f => f.Feature), Is.EqualTo(new[] { "input[0]" }));
    }

    [Test]
    public void Observe_RealRunsOfAMultiOutputModel_ReportsModelVersionAndEveryFeature()
    {
        var model = SyntheticModels.MultiIo();
        var random = new Random(3);
        var builder = new DriftBaselineBuilder();
        var session = _sessions.Load(model.Bytes, "multi_io", "7");
        for (var i = 0; i < 20; i++)
        {
            using var request = Request(random, 50, "a", "b");
            using var response = session.Run(request, "multi_io");
            builder.AddInputs(request.Inputs);
            builder.AddOutputs(response.Outputs);
        }

        session.Manifest = new ModelManifest { DriftBaseline = builder.Build("synthetic") };
        var detector = NewDetector(new DriftOptions { WindowRows = 100 });
        var reports = Collect(detector);
        for (var i = 0; i < 4; i++)
        {
            using var request = Request(random, 50, "a", "b");
            using var response = session.Run(request, "multi_io");
            detector.Observe(session, request, response);
        }

        Assert.That(reports, Has.Count.EqualTo(2));
        var report = reports[1];
        Assert.That((report.Model, report.Version, report.Rows), Is.EqualTo(("multi_io", "7", 100L)));
        Assert.That(report.WindowEndMs, Is.GreaterThanOrEqualTo(report.WindowStartMs));
        Assert.That(
            report.Features.Select(f => f.Feature),
            Is.EqualTo(new[] { "a[0]", "a[1]", "a[2]", "b[0]", "b[1]", "b[2]", "sum[0]", "sum[1]", "sum[2]", "product[0]", "product[1]", "product[2]", "argmax" }));
        Assert.That(detector.Latest, Is.EqualTo(new[] { report }));
    }

    [Test]
    public void Latest_AfterTheSessionCloses_DropsItsReport()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector(new DriftOptions { WindowRows = 100 });
        Stream(detector, session, new Random(5), windows: 1, rows: 100, shift: (_, v) => v);
        Assert.That(detector.Latest, Has.Count.EqualTo(1));

        session.Dispose();

        Assert.That(detector.Latest, Is.Empty);
    }

    [Test]
    public void Observe_NoBaselineOrDisabled_DoesNothing()
    {
        var withoutBaseline = _sessions.Load(SyntheticModels.FloatMlp().Bytes, "plain");
        var disabled = NewDetector(new DriftOptions { Enabled = false, WindowRows = 10 });
        var enabled = NewDetector(new DriftOptions { WindowRows = 10 });
        var reports = Collect(disabled);
        reports.AddRange(Collect(enabled));
        var session = LoadWithBaseline();

        Stream(disabled, session, new Random(1), windows: 2, rows: 10, shift: (_, v) => v);
        Stream(enabled, withoutBaseline, new Random(1), windows: 2, rows: 10, shift: (_, v) => v);

        Assert.That(reports, Is.Empty);
        Assert.That(session.Find<DriftMonitor>(), Is.Null);
        Assert.That(withoutBaseline.Find<DriftMonitor>(), Is.Null);
    }

    [Test]
    public void WindowCompleted_HandlerThrows_RequestPathIsUnaffected()
    {
        var session = LoadWithBaseline();
        var detector = NewDetector(new DriftOptions { WindowRows = 100 });
        detector.WindowCompleted += _ => throw new InvalidOperationException("broken consumer");

        Assert.That(() => Stream(detector, session, new Random(6), windows: 2, rows: 100, shift: (_, v) => v), Throws.Nothing);
        Assert.That(detector.Latest, Has.Count.EqualTo(1));
    }

    private ModelSession LoadWithBaseline()
    {
        var session = _sessions.Load(SyntheticModels.FloatMlp().Bytes, "float_mlp", "3");
        var random = new Random(99);
        session.Manifest = new ModelManifest
        {
            DriftBaseline = new DriftBaseline
            {
                Inputs = [.. Enumerable.Range(0, Features).Select(j => DriftBaselineBuilder.BuildFeature(
                    $"input[{j}]", Samples.Normals(random, 100_000, FeatureMeans[j], FeatureSigmas[j])))],
                Rows = 100_000,
            },
        };
        return session;
    }

    private static DriftDetector NewDetector(DriftOptions? options = null) =>
        new(Options.Create(options ?? new DriftOptions()), NullLogger<DriftDetector>.Instance, TimeProvider.System);

    private static List<DriftReport> Collect(DriftDetector detector)
    {
        var reports = new List<DriftReport>();
        detector.WindowCompleted += reports.Add;
        return reports;
    }

    /// <summary>Feeds <paramref name="windows"/> windows of rows of the baseline's distribution, 100 rows a request, transformed by <paramref name="shift"/>.</summary>
    private static void Stream(DriftDetector detector, ModelSession session, Random random, int windows, int rows, Func<int, double, double> shift)
    {
        const int RowsPerRequest = 100;
        for (var sent = 0; sent < windows * rows; sent += RowsPerRequest)
        {
            var values = new float[RowsPerRequest * Features];
            for (var i = 0; i < values.Length; i++)
            {
                var j = i % Features;
                values[i] = (float)shift(j, Samples.Normal(random, FeatureMeans[j], FeatureSigmas[j]));
            }

            using var request = TestSessions.FloatRequest("input", values, [RowsPerRequest, Features]);
            using var response = new InferenceResponse { ModelName = session.Name, Outputs = [] };
            detector.Observe(session, request, response);
        }
    }

    private static InferenceRequest Request(Random random, int rows, params string[] inputs) => new()
    {
        Inputs = [.. inputs.Select(name => TestSessions.FloatTensor(name, [.. Enumerable.Range(0, rows * 3).Select(_ => (float)Samples.Normal(random))], [rows, 3]))],
    };
}
