using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Host.Tests.Infrastructure;
using EdgeRuntime.Tests.Shared;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// <c>edge-runtime batch</c> as a real process over the device's model store: its results equal what the running host
/// answers online, bad rows are recorded and skipped, a job killed with SIGKILL or interrupted with Ctrl+C and run
/// again ends with exactly one result per row, and its summary reaches the host's telemetry store.
/// </summary>
[NonParallelizable]
public sealed class BatchCommandTests
{
    /// <summary>Enough rows that a job is still working when the test kills it, a few batches in (a few seconds' work here).</summary>
    private const int LongJobRows = 200_000;

    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _data = TestRepository.NewDataDirectory("batch-cli");
        DemoModel.Write(Path.Combine(_data, "models", DemoModel.Name, "1"));
    }

    [TearDown]
    public void TearDown() => TestRepository.Delete(_data);

    /// <summary>Every good row's stored result is the host's online answer for it; the malformed rows are errors naming their line.</summary>
    [Test]
    public async Task Batch_CsvWithMalformedLines_GoodRowsEqualOnlineInferenceAndExitCode3()
    {
        const int Rows = 200;
        int[] malformed = [17, 90, 151];
        var input = Path.Combine(_data, "readings.csv");
        var output = Path.Combine(_data, "scores.db");
        BatchFiles.WriteReadings(input, Rows, malformed);

        var result = await RunAsync("--model", "demo", "--input", input, "--output", output, "--key", "id", "--batch-size", "16");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.Error);
        Assert.That(result.Output, Does.StartWith("completed ").And.Contain($"{Rows} rows ({Rows - malformed.Length} results, {malformed.Length} errors)").And.Contain("model demo version 1"));
        Assert.That(result.Error, Does.Contain($"{malformed.Length} of {Rows} rows have errors").And.Contain("errors table").And.Contain(output));

        var errors = BatchResults.Errors(output);
        Assert.That(errors.Select(e => e.Idx), Is.EqualTo(malformed.Select(m => (long)m)));
        foreach (var error in errors)
        {
            Assert.That(error.Message, Does.Contain($"line {BatchFiles.LineOf((int)error.Idx)}"), "an error names the line it is about");
        }

        var results = BatchResults.Results(output);
        Assert.That(results.Select(r => r.Idx), Is.EqualTo(Enumerable.Range(0, Rows).Except(malformed).Select(i => (long)i)));

        // The same rows, one request each, through the host serving the same store.
        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        await host.WaitReadyAsync();
        using var client = host.CreateClient();
        foreach (var row in results)
        {
            var (status, body) = await Oip.PostJsonAsync(client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], BatchFiles.Reading((int)row.Idx)));
            Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
            var online = Oip.Floats(body!["outputs"]![0]!["data"]);
            var stored = BatchFiles.Floats(row.Data);
            var value = JsonNode.Parse(row.Value!)!.AsArray().Select(v => v!.GetValue<float>()).ToArray();
            Assert.Multiple(() =>
            {
                Assert.That(row.Key, Is.EqualTo($"r{row.Idx}"));
                Assert.That(row.Output, Is.EqualTo("probabilities"));
                Assert.That(row.Datatype, Is.EqualTo("FP32"));
                Assert.That(JsonNode.Parse(row.Shape)!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { 1, 3 }));

                // Batched runs may differ from single-row runs in the last bit of ONNX Runtime's vectorised float kernels.
                Assert.That(stored, Is.EqualTo(online).Within(1e-6f), $"row {row.Idx}");
                Assert.That(value, Is.EqualTo(stored), "value is data as JSON");
            });
        }
    }

    /// <summary>SIGKILLed a few batches in, then run again: each input row ends with exactly one result or error.</summary>
    [TestCase("scores.db")]
    [TestCase("scores.csv")]
    public async Task Batch_KilledWithSigkillThenRerun_ExactlyOneResultPerRow(string outputName)
    {
        var input = Path.Combine(_data, "readings.csv");
        var output = Path.Combine(_data, outputName);
        var jobDatabase = outputName.EndsWith(".db", StringComparison.Ordinal) ? output : output + ".job.db";
        BatchFiles.WriteReadings(input, LongJobRows);
        string[] args = ["--model", "demo", "--input", input, "--output", output, "--batch-size", "16", "--parallelism", "1", "--json"];

        long killedAt;
        await using (var doomed = Start(args))
        {
            await Wait.UntilAsync(() => Task.FromResult(BatchResults.NextIndex(jobDatabase) > 0 || doomed.HasExited));
            Assert.That(doomed.HasExited, Is.False, $"the job ended before it could be killed; give it more rows:\n{doomed.Error}");
            await doomed.KillAsync();
            killedAt = BatchResults.NextIndex(jobDatabase);
        }

        Assert.That(killedAt, Is.InRange(1, LongJobRows - 1), "killed part-way");
        var rerun = await RunAsync(args);

        Assert.That(rerun.ExitCode, Is.Zero, rerun.Error);
        var final = JsonSerializer.Deserialize(rerun.Output, ContractsJsonContext.Default.BatchJobStatus)!;
        Assert.Multiple(() =>
        {
            Assert.That(final.State, Is.EqualTo(BatchJobStates.Completed));
            Assert.That(final.RowsSucceeded, Is.EqualTo(LongJobRows));
            Assert.That(final.RowsFailed, Is.Zero);
            Assert.That(final.RowsResumed, Is.GreaterThanOrEqualTo(killedAt), "the rerun resumed from the checkpoint");
            Assert.That(rerun.Error, Does.Contain("done by an earlier run"));
        });

        if (jobDatabase == output)
        {
            Assert.That(BatchResults.Coverage(output), Is.EqualTo((LongJobRows, LongJobRows, 0, LongJobRows - 1)), "count, distinct, min, max of results ∪ errors");
            return;
        }

        // CSV: one line per index after the header, each whole (no line torn by the kill), and nothing in the errors table.
        var lines = File.ReadAllLines(output);
        var width = lines[0].Split(',').Length;
        var indexes = lines.Skip(1).Select(line =>
        {
            var fields = line.Split(',');
            Assert.That(fields, Has.Length.EqualTo(width), $"a whole line: {line}");
            return long.Parse(fields[0], CultureInfo.InvariantCulture);
        }).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.StartWith("index,key,error,probabilities_0"));
            Assert.That(indexes, Has.Count.EqualTo(LongJobRows));
            Assert.That(indexes.Distinct().Count(), Is.EqualTo(LongJobRows));
            Assert.That(indexes.Min(), Is.Zero);
            Assert.That(indexes.Max(), Is.EqualTo(LongJobRows - 1));
            Assert.That(BatchResults.Coverage(jobDatabase, withResults: false).Rows, Is.Zero);
        });
    }

    /// <summary>
    /// Ctrl+C ends the job at a batch boundary with exit code 130; plain progress lines came before; the rerun finishes it.
    /// Where this test runs with SIGINT ignored (started as a background job), the child inherits that and cannot see
    /// Ctrl+C; it then gets SIGTERM, which the verb handles the same way with exit code 143.
    /// </summary>
    [Test]
    public async Task Batch_InterruptedWithCtrlC_Exits130AndRerunResumes()
    {
        var input = Path.Combine(_data, "readings.csv");
        var output = Path.Combine(_data, "scores.db");
        BatchFiles.WriteReadings(input, LongJobRows);
        // One row per run keeps it busy long enough for a progress line or two before the interrupt.
        string[] args = ["--model", "demo", "--input", input, "--output", output, "--batch-size", "1", "--parallelism", "1", "--EdgeRuntime:Batch:ProgressSeconds=1"];

        var signal = PosixSignals.IsIgnored(PosixSignals.Interrupt) ? PosixSignals.Terminate : PosixSignals.Interrupt;
        var exitCode = signal == PosixSignals.Interrupt ? 130 : 143;
        CommandProcess.Result interrupted;
        await using (var running = Start(args))
        {
            // stderr is not a terminal here, so progress comes as plain lines: a start line, then one a second.
            await Wait.UntilAsync(() => Task.FromResult(running.Error.Contains(" rows/s", StringComparison.Ordinal) || running.HasExited));
            Assert.That(running.HasExited, Is.False, $"the job ended before it could be interrupted; give it more rows:\n{running.Error}");
            running.Signal(signal);
            interrupted = await running.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        Assert.Multiple(() =>
        {
            Assert.That(interrupted.ExitCode, Is.EqualTo(exitCode), interrupted.Error);
            Assert.That(interrupted.Error, Does.Match($@"batch job-[0-9a-f]+: model demo version 1, {LongJobRows} rows, batch size 1, parallelism 1"));
            Assert.That(interrupted.Error, Does.Match($@"batch job-[0-9a-f]+: \d+/{LongJobRows} rows \(\d+\.\d %\), 0 errors, [\d.]+ rows/s, ETA \d+"));
            Assert.That(interrupted.Error, Does.Contain("run the same command again to resume"));
            Assert.That(interrupted.Output, Does.StartWith("cancelled job-"));
        });
        var checkpoint = BatchResults.NextIndex(output);
        Assert.That(checkpoint, Is.InRange(1, LongJobRows - 1));

        var rerun = await RunAsync(args);
        Assert.That(rerun.ExitCode, Is.Zero, rerun.Error);
        Assert.That(rerun.Output, Does.StartWith("completed job-").And.Contain($"{LongJobRows} rows ({LongJobRows} results, 0 errors,"));
        Assert.That(BatchResults.Coverage(output), Is.EqualTo((LongJobRows, LongJobRows, 0, LongJobRows - 1)));
    }

    /// <summary>What the user got wrong is exit code 2 with the reason; --help is the usage.</summary>
    [Test]
    public async Task Batch_UsageErrors_Exit2WithTheReason()
    {
        var input = Path.Combine(_data, "readings.csv");
        BatchFiles.WriteReadings(input, 10);
        var output = Path.Combine(_data, "scores.db");

        var help = await RunAsync("--help");
        var noModel = await RunAsync("--input", input, "--output", output);
        var typo = await RunAsync("--model", "demo", "--inptu", input, "--output", output);
        var zeroBatch = await RunAsync("--model", "demo", "--input", input, "--output", output, "--batch-size", "0");
        var urlWithoutSubmit = await RunAsync("--model", "demo", "--input", input, "--output", output, "--url", "http://127.0.0.1:1");
        var unknownModel = await RunAsync("--model", "nosuch", "--input", input, "--output", output);
        var unknownVersion = await RunAsync("--model", "demo:7", "--input", input, "--output", output);

        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.Zero);
            Assert.That(help.Output, Does.Contain("usage: edge-runtime batch"));
            AssertUsageError(noModel, "--model is required");
            AssertUsageError(typo, "unknown option '--inptu'");
            AssertUsageError(zeroBatch, "--batch-size '0'");
            AssertUsageError(urlWithoutSubmit, "--url goes with --submit");
            AssertUsageError(unknownModel, "nosuch");
            AssertUsageError(unknownVersion, "7");
        });
        Assert.That(File.Exists(output), Is.False, "a refused job writes nothing");
    }

    /// <summary>An output that holds another job's checkpoint is never overwritten by accident: refused, until --restart.</summary>
    [Test]
    public async Task Batch_OutputHoldsAnotherJob_RefusedUntilRestart()
    {
        var first = Path.Combine(_data, "first.csv");
        var second = Path.Combine(_data, "second.csv");
        var output = Path.Combine(_data, "scores.db");
        BatchFiles.WriteReadings(first, 10);
        BatchFiles.WriteReadings(second, 20);
        Assert.That((await RunAsync("--model", "demo", "--input", first, "--output", output)).ExitCode, Is.Zero);

        var refused = await RunAsync("--model", "demo", "--input", second, "--output", output);
        var restarted = await RunAsync("--model", "demo", "--input", second, "--output", output, "--restart");

        AssertUsageError(refused, "pass --restart");
        Assert.That(refused.Error, Does.Contain(first), "names the job that is there");
        Assert.That(restarted.ExitCode, Is.Zero, restarted.Error);
        Assert.That(BatchResults.Coverage(output), Is.EqualTo((20L, 20L, 0L, 19L)));
    }

    /// <summary>A standalone job's summary waits in the spool until the host runs, then lands in its telemetry store.</summary>
    [Test]
    public async Task Batch_Standalone_SummaryReachesTheTelemetryStoreOnceTheHostRuns()
    {
        var input = Path.Combine(_data, "readings.csv");
        BatchFiles.WriteReadings(input, 100, malformed: [5]);
        var result = await RunAsync("--model", "demo", "--input", input, "--output", Path.Combine(_data, "scores.jsonl"), "--id", "nightly", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(3), result.Error);
        Assert.That(result.Error, Does.Contain("error field of").And.Contain("scores.jsonl.job.db"));

        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        using var client = host.CreateClient();
        TelemetryRecordEntry? finished = null;
        await Wait.UntilAsync(async () =>
        {
            finished = (await RecordsAsync(client)).FirstOrDefault(r => r.Type == TelemetryRecordTypes.BatchJobFinished && r.Payload.GetProperty("id").GetString() == "nightly");
            return finished is not null;
        });

        var payload = finished!.Payload.Deserialize(ContractsJsonContext.Default.BatchJobStatus)!;
        Assert.Multiple(() =>
        {
            Assert.That(finished.Model, Is.EqualTo("demo"));
            Assert.That(finished.Version, Is.EqualTo("1"));
            Assert.That(payload.State, Is.EqualTo(BatchJobStates.Completed));
            Assert.That(payload.Trigger, Is.EqualTo("cli"));
            Assert.That((payload.RowsSucceeded, payload.RowsFailed), Is.EqualTo((99L, 1L)));
        });
    }

    private static void AssertUsageError(CommandProcess.Result result, string reason)
    {
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Error);
        Assert.That(result.Error, Does.Contain(reason));
    }

    private static async Task<List<TelemetryRecordEntry>> RecordsAsync(HttpClient client)
    {
        var response = await client.GetFromJsonAsync("/v2/edge/telemetry/records?limit=1000", ContractsJsonContext.Default.TelemetryRecordsResponse);
        return [.. response!.Records];
    }

    private Task<CommandProcess.Result> RunAsync(params string[] args) => CommandProcess.RunAsync(_data, ["batch", "--data", _data, .. args]);

    private CommandProcess.Running Start(params string[] args) => CommandProcess.Start(_data, ["batch", "--data", _data, .. args]);
}
