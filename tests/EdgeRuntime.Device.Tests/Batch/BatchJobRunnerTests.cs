using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using SQLite;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>
/// Batch jobs end to end against real ONNX Runtime sessions of the generated demo model, real SQLite job databases
/// and real output files, on the runner's real threads. Inputs are in-memory rows (the file readers are tested on their own).
/// </summary>
public sealed class BatchJobRunnerTests
{
    private const int SchedIdle = 5;

    private BatchTestStore _store = null!;

    [SetUp]
    public void SetUp() => _store = new BatchTestStore();

    [TearDown]
    public void TearDown() => _store.Dispose();

    /// <summary>
    /// Every row's stored output is what the model gives that row run on its own: byte for byte when the job runs rows
    /// one by one, and within float rounding when it stacks them (ONNX Runtime's vectorised kernels may round the last
    /// bits differently for other batch lengths, as online dynamic batching does).
    /// </summary>
    [TestCase(1)]
    [TestCase(8)]
    public async Task RunAsync_SqliteOutput_EveryRowEqualsItsOwnRun(int batchSize)
    {
        var modelPath = _store.AddDemo();
        var rows = TestInput.DemoRows(100);
        var input = new TestInput(rows);
        var spec = _store.Spec("results.db", batchSize: batchSize);

        var status = await _store.Runner(input).RunAsync(spec, null);

        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
        Assert.That((status.RowsSucceeded, status.RowsFailed, status.RowsTotal), Is.EqualTo((100L, 0L, (long?)100)));
        Assert.That((status.Model, status.Version, status.BatchSize, status.Parallelism), Is.EqualTo(("demo", "1", batchSize, 2)));
        var expected = Reference(modelPath, rows);
        var results = BatchResults.Results(spec.Output);
        Assert.That(results.Select(r => r.Idx), Is.EqualTo(Enumerable.Range(0, 100).Select(i => (long)i)));
        foreach (var result in results)
        {
            Assert.That(result.Key, Is.EqualTo($"row-{result.Idx}"));
            Assert.That((result.Output, result.Datatype, result.Shape), Is.EqualTo(("probabilities", "FP32", "[1,3]")));
            var values = JsonSerializer.Deserialize<float[]>(result.Value!);
            Assert.That(values, Is.EqualTo(Floats(result.Data)), $"row {result.Idx}: the JSON values are the stored bytes");
            if (batchSize == 1)
            {
                Assert.That(result.Data, Is.EqualTo(expected[(int)result.Idx]), $"row {result.Idx}");
            }
            else
            {
                Assert.That(values, Is.EqualTo(Floats(expected[(int)result.Idx])).Within(1e-6f), $"row {result.Idx}");
            }
        }

        Assert.That(BatchResults.Errors(spec.Output), Is.Empty);
    }

    /// <summary>CSV and JSONL outputs hold each row's values exactly as the model gives them (read back to the same floats), in input order.</summary>
    [TestCase("results.csv")]
    [TestCase("results.jsonl")]
    public async Task RunAsync_TextOutput_HoldsEveryRowsValuesInOrder(string output)
    {
        var modelPath = _store.AddDemo();
        var rows = TestInput.DemoRows(50);
        var spec = _store.Spec(output, batchSize: 1);

        var status = await _store.Runner(new TestInput(rows)).RunAsync(spec, null);

        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
        var expected = Reference(modelPath, rows);
        var lines = File.ReadAllLines(spec.Output);
        if (output.EndsWith(".csv", StringComparison.Ordinal))
        {
            Assert.That(lines[0], Is.EqualTo("index,key,error,probabilities_0,probabilities_1,probabilities_2"));
            Assert.That(lines, Has.Length.EqualTo(51));
            for (var i = 0; i < 50; i++)
            {
                var fields = lines[i + 1].Split(',');
                Assert.That(fields[..3], Is.EqualTo(new[] { $"{i}", $"row-{i}", "" }));
                Assert.That(fields[3..].Select(f => float.Parse(f, CultureInfo.InvariantCulture)), Is.EqualTo(Floats(expected[i])), $"row {i}");
            }
        }
        else
        {
            Assert.That(lines, Has.Length.EqualTo(50));
            for (var i = 0; i < 50; i++)
            {
                using var line = JsonDocument.Parse(lines[i]);
                Assert.That(line.RootElement.GetProperty("index").GetInt64(), Is.EqualTo(i));
                Assert.That(line.RootElement.GetProperty("key").GetString(), Is.EqualTo($"row-{i}"));
                var probabilities = line.RootElement.GetProperty("outputs").GetProperty("probabilities");
                Assert.That(probabilities.GetProperty("datatype").GetString(), Is.EqualTo("FP32"));
                Assert.That(probabilities.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), Is.EqualTo(new long[] { 1, 3 }));
                Assert.That(probabilities.GetProperty("data").EnumerateArray().Select(v => v.GetSingle()), Is.EqualTo(Floats(expected[i])), $"row {i}");
            }
        }

        Assert.That(BatchResults.Job(spec.Output + ".job.db")["output_bytes"], Is.EqualTo(new FileInfo(spec.Output).Length.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Rows the input could not read and rows that do not fit the model are recorded with their message; the others run.</summary>
    [Test]
    public async Task RunAsync_MalformedRows_RecordedWithTheirErrorAndTheRestSucceed()
    {
        var modelPath = _store.AddDemo();
        var rows = TestInput.DemoRows(30);
        rows[3] = TestRow.Failed("row-3", "line 4: 'abc' is not a number");
        rows[10] = TestRow.Shaped("row-10", [1, 2, 3, 4, 5], [1, 5]);
        rows[11] = TestRow.Failed("row-11", "line 12: 3 values, the model takes 4");
        var spec = _store.Spec("results.jsonl", batchSize: 1);

        var status = await _store.Runner(new TestInput(rows)).RunAsync(spec, null);

        Assert.That((status.State, status.RowsSucceeded, status.RowsFailed), Is.EqualTo((BatchJobStates.Completed, 27L, 3L)));
        var errors = BatchResults.Errors(spec.Output + ".job.db");
        Assert.That(errors.Select(e => (e.Idx, e.Key)), Is.EqualTo(new[] { (3L, "row-3"), (10L, "row-10"), (11L, "row-11") }));
        Assert.That(errors[0].Message, Is.EqualTo("line 4: 'abc' is not a number"));
        Assert.That(errors[1].Message, Does.Contain("shape [1,5]").And.Contain("[-1,4]"));
        var lines = File.ReadAllLines(spec.Output);
        Assert.That(lines, Has.Length.EqualTo(30));
        using var errorLine = JsonDocument.Parse(lines[3]);
        Assert.That(errorLine.RootElement.GetProperty("error").GetString(), Is.EqualTo("line 4: 'abc' is not a number"));
        var expected = Reference(modelPath, rows);
        using var goodLine = JsonDocument.Parse(lines[12]);
        Assert.That(goodLine.RootElement.GetProperty("outputs").GetProperty("probabilities").GetProperty("data").EnumerateArray().Select(v => v.GetSingle()), Is.EqualTo(Floats(expected[12])));
    }

    /// <summary>A row that makes the model fail takes its batch down; the batch is rerun row by row, so only that row is an error.</summary>
    [Test]
    public async Task RunAsync_RowTheModelFailsOn_OnlyThatRowIsAnError()
    {
        // y = table[i]: an index past the table's four entries fails the run in ONNX Runtime.
        var model = new OnnxModelBuilder("lookup")
            .AddInput("i", DataType.Int64, SyntheticModels.BatchDimension)
            .AddInitializer("table", [4], [10f, 20f, 30f, 40f])
            .AddNode("Gather", ["table", "i"], ["y"], OnnxAttribute.Int("axis", 0))
            .AddOutput("y", DataType.Float, SyntheticModels.BatchDimension)
            .Build();
        _store.AddModel("lookup", "1", model);
        var rows = Enumerable.Range(0, 20).Select(i => TestRow.Longs($"k{i}", [i == 13 ? 7 : i % 4])).ToList();
        var input = new TestInput(rows) { TensorName = "i" };
        var spec = _store.Spec("lookup.db", model: "lookup", batchSize: 5);

        var status = await _store.Runner(input).RunAsync(spec, null);

        Assert.That((status.State, status.RowsSucceeded, status.RowsFailed), Is.EqualTo((BatchJobStates.Completed, 19L, 1L)));
        var error = BatchResults.Errors(spec.Output).Single();
        Assert.That((error.Idx, error.Key), Is.EqualTo((13L, "k13")));
        Assert.That(error.Message, Does.Contain("ONNX Runtime failed"));
        var results = BatchResults.Results(spec.Output);
        Assert.That(results.Select(r => r.Idx), Is.EqualTo(Enumerable.Range(0, 20).Where(i => i != 13).Select(i => (long)i)));
        Assert.That(results.Select(r => MemoryMarshal.Cast<byte, float>(r.Data)[0]), Is.EqualTo(results.Select(r => 10f * (1 + (r.Idx % 4)))));
    }

    /// <summary>
    /// An input that breaks off fails the job with the reason, after writing the rows read before; the rerun reads only
    /// the rest, and the output ends up exactly as a clean run's, every row once.
    /// </summary>
    [TestCase("out.db")]
    [TestCase("out.csv")]
    [TestCase("out.jsonl")]
    public async Task RunAsync_InputBreaksOff_RerunResumesAndWritesEveryRowOnce(string output)
    {
        _store.AddDemo();
        var rows = TestInput.DemoRows(100);
        rows[42] = TestRow.Failed("row-42", "bad line");
        var input = new TestInput(rows) { FailAt = 37 };
        var spec = _store.Spec(output);
        var runner = _store.Runner(input);

        var failed = await runner.RunAsync(spec, null);

        Assert.That(failed.State, Is.EqualTo(BatchJobStates.Failed));
        Assert.That(failed.Reason, Is.EqualTo("test input breaks off at row 37"));
        Assert.That(failed.RowsSucceeded + failed.RowsFailed, Is.EqualTo(37), "the rows read before the break are written");
        Assert.That(BatchResults.Job(DatabaseOf(spec.Output))["next_index"], Is.EqualTo("37"));

        input.FailAt = null;
        input.ResetCount();
        var resumed = await runner.RunAsync(spec, null);

        Assert.That(resumed.State, Is.EqualTo(BatchJobStates.Completed), resumed.Reason);
        Assert.That((resumed.RowsSucceeded, resumed.RowsFailed, resumed.RowsResumed), Is.EqualTo((99L, 1L, 37L)));
        Assert.That(input.ReadFrom[^1], Is.EqualTo(37));
        Assert.That(input.RowsRead, Is.EqualTo(63), "rows written before were not computed again");
        AssertEqualsCleanRun(spec, rows);
    }

    /// <summary>A crash between appending lines and committing them leaves a tail past the committed length; the rerun cuts it off.</summary>
    [TestCase("out.csv")]
    [TestCase("out.jsonl")]
    public async Task RunAsync_TailPastTheCommittedLength_IsCutOffOnResume(string output)
    {
        _store.AddDemo();
        var rows = TestInput.DemoRows(60);
        var input = new TestInput(rows) { FailAt = 25 };
        var spec = _store.Spec(output);
        var runner = _store.Runner(input);
        await runner.RunAsync(spec, null);

        // What a run killed after its append and before its commit leaves behind: lines the checkpoint does not count.
        File.AppendAllText(spec.Output, "25,row-25,,0.1,0.2,0.3\n{\"index\":26,\"key\":\"half a li");
        input.FailAt = null;
        var resumed = await runner.RunAsync(spec, null);

        Assert.That(resumed.State, Is.EqualTo(BatchJobStates.Completed), resumed.Reason);
        AssertEqualsCleanRun(spec, rows);
    }

    /// <summary>A cancelled job stops with state cancelled and its checkpoint intact; the rerun finishes it, every row once.</summary>
    [TestCase("out.db")]
    [TestCase("out.csv")]
    public async Task RunAsync_Cancelled_RerunFinishesEveryRowOnce(string output)
    {
        _store.AddDemo();
        var rows = TestInput.DemoRows(120);
        using var cancellation = new CancellationTokenSource();
        var input = new TestInput(rows) { BeforeRow = (index, _) => { if (index == 70) { cancellation.Cancel(); } } };
        var spec = _store.Spec(output);
        var runner = _store.Runner(input);

        var cancelled = await runner.RunAsync(spec, null, cancellation.Token);

        Assert.That(cancelled.State, Is.EqualTo(BatchJobStates.Cancelled));
        var job = BatchResults.Job(DatabaseOf(spec.Output));
        Assert.That(job["state"], Is.EqualTo(BatchJobStates.Cancelled));
        var checkpoint = long.Parse(job["next_index"]!, CultureInfo.InvariantCulture);
        Assert.That(checkpoint, Is.LessThanOrEqualTo(70));
        Assert.That(cancelled.RowsSucceeded, Is.EqualTo(checkpoint));

        input.BeforeRow = null;
        input.ResetCount();
        var resumed = await runner.RunAsync(spec, null);

        Assert.That((resumed.State, resumed.RowsSucceeded, resumed.RowsResumed), Is.EqualTo((BatchJobStates.Completed, 120L, checkpoint)));
        Assert.That(input.RowsRead, Is.EqualTo(120 - checkpoint));
        AssertEqualsCleanRun(spec, rows);
    }

    /// <summary>An output that holds another job's checkpoint is refused, naming that job; Restart discards it and starts over.</summary>
    [Test]
    public async Task RunAsync_OutputHoldsAnotherJob_RefusedUnlessRestart()
    {
        _store.AddDemo();
        var input = new TestInput(TestInput.DemoRows(20));
        var runner = _store.Runner(input);
        var first = _store.Spec("shared.csv");
        await runner.RunAsync(first, null);
        var other = first with { Input = new BatchInputOptions { Path = Path.Combine(_store.DataPath, "other.test") } };

        var refused = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(other, null));
        Assert.That(refused!.Message, Does.Contain($"holds job {BatchJobRunner.DefaultJobId(first.Output)} for model demo").And.Contain("rows.test").And.Contain("pass Restart"));

        input.Fingerprint = "test-input-v2";
        var changed = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(first, null));
        Assert.That(changed!.Message, Does.Contain("has changed since the job started"));

        input.ResetCount();
        var restarted = await runner.RunAsync(other with { Restart = true }, null);

        Assert.That((restarted.State, restarted.RowsResumed, restarted.RowsSucceeded), Is.EqualTo((BatchJobStates.Completed, 0L, 20L)));
        Assert.That(input.RowsRead, Is.EqualTo(20));
        Assert.That(BatchResults.Job(first.Output + ".job.db")["input_path"], Is.EqualTo(other.Input.Path));
        Assert.That(File.ReadAllLines(first.Output), Has.Length.EqualTo(21));
    }

    /// <summary>Something at the output that is not a batch job's is never overwritten without Restart.</summary>
    [Test]
    public async Task RunAsync_OutputIsNotAJobs_RefusedUnlessRestart()
    {
        _store.AddDemo();
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(5)));
        var spec = _store.Spec("mine.db");
        File.WriteAllText(spec.Output, "my notes, not a database");

        var refused = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(spec, null));

        Assert.That(refused!.Message, Does.Contain("not a batch job's").And.Contain("pass Restart"));
        Assert.That(File.ReadAllText(spec.Output), Is.EqualTo("my notes, not a database"));
        var restarted = await runner.RunAsync(spec with { Restart = true }, null);
        Assert.That(restarted.State, Is.EqualTo(BatchJobStates.Completed));
    }

    /// <summary>Running a completed job again reports it completed and touches nothing.</summary>
    [Test]
    public async Task RunAsync_CompletedJobAgain_ReturnsItsStatusAndTouchesNothing()
    {
        _store.AddDemo();
        var input = new TestInput(TestInput.DemoRows(40));
        var runner = _store.Runner(input);
        var spec = _store.Spec("done.csv");
        var first = await runner.RunAsync(spec, null);
        var bytes = File.ReadAllBytes(spec.Output);
        var database = File.ReadAllBytes(spec.Output + ".job.db");
        input.ResetCount();

        var again = await runner.RunAsync(spec, null);

        Assert.That((again.State, again.RowsSucceeded, again.RowsResumed), Is.EqualTo((BatchJobStates.Completed, 40L, 40L)));
        Assert.That(again.Id, Is.EqualTo(first.Id));
        Assert.That(input.RowsRead, Is.Zero);
        Assert.That(File.ReadAllBytes(spec.Output), Is.EqualTo(bytes));
        Assert.That(File.ReadAllBytes(spec.Output + ".job.db"), Is.EqualTo(database));
    }

    /// <summary>
    /// While a job runs, its threads are named edge-batch-N, edge-batch-read and edge-batch-out and run at the
    /// configured nice value, under SCHED_IDLE (policy 5).
    /// </summary>
    [Test]
    public async Task RunAsync_WhileRunning_ThreadsAreNamedAndNiced()
    {
        Assume.That(OperatingSystem.IsLinux(), "thread names and nice values are read from /proc");
        _store.AddDemo();
        using var hold = new ManualResetEventSlim();
        var input = new TestInput(TestInput.DemoRows(50)) { BeforeRow = (index, token) => { if (index == 20) { hold.Wait(token); } } };
        var running = _store.Runner(input, new BatchOptions { Nice = 7 }).RunAsync(_store.Spec("threads.db", parallelism: 3), null);
        try
        {
            Dictionary<string, (int Nice, int Policy)> threads = [];
            await Sync.Wait.UntilAsync(
                () =>
                {
                    threads = BatchThreads();
                    return threads.Count == 5 && threads.Values.All(t => t is { Nice: 7, Policy: SchedIdle });
                },
                "the reader, the writer and three workers run at nice 7 under SCHED_IDLE");

            Assert.That(threads.Keys.Order(), Is.EqualTo(new[] { "edge-batch-1", "edge-batch-2", "edge-batch-3", "edge-batch-out", "edge-batch-read" }));
        }
        finally
        {
            hold.Set();
        }

        var status = await running;
        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
    }

    /// <summary>Without a version the job runs the one the device serves: the rollout's stable version, else the highest.</summary>
    [Test]
    public async Task RunAsync_NoVersion_RunsRolloutStableElseHighest()
    {
        _store.AddDemo("1");
        _store.AddDemo("2");
        _store.AddDemo("10");
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(5)));

        var highest = await runner.RunAsync(_store.Spec("a.db"), null);
        DurableFile.Write(Path.Combine(_store.Models, "demo", ModelRepository.RolloutFileName), new RolloutState { Model = "demo", Stable = "2" }, RolloutJsonContext.Default.RolloutState);
        var stable = await runner.RunAsync(_store.Spec("b.db"), null);
        var pinned = await runner.RunAsync(_store.Spec("c.db") with { Version = "1" }, null);

        Assert.That((highest.Version, stable.Version, pinned.Version), Is.EqualTo(("10", "2", "1")));
    }

    /// <summary>A resumed job finishes on the version it started with, and refuses to go on when that version is gone.</summary>
    [Test]
    public async Task RunAsync_Resumed_StaysOnItsVersionAndRefusesWhenItIsGone()
    {
        _store.AddDemo("1");
        var input = new TestInput(TestInput.DemoRows(60)) { FailAt = 20 };
        var runner = _store.Runner(input);
        var spec = _store.Spec("pinned.db");
        await runner.RunAsync(spec, null);
        _store.AddDemo("2");
        input.FailAt = 40;

        var resumed = await runner.RunAsync(spec, null);

        Assert.That((resumed.Version, resumed.RowsSucceeded), Is.EqualTo(("1", 40L)));
        Directory.Delete(Path.Combine(_store.Models, "demo", "1"), recursive: true);
        input.FailAt = null;
        var gone = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(spec, null));
        Assert.That(gone!.Message, Does.Contain("version 1, which it must finish on").And.Contain("it has 2"));
    }

    /// <summary>An unknown model or version is refused at once, naming what the store holds.</summary>
    [Test]
    public void RunAsync_UnknownModelOrVersion_RefusedNamingWhatExists()
    {
        _store.AddDemo("3");
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(5)));

        var model = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(_store.Spec("x.db", model: "nope"), null));
        var version = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(_store.Spec("y.db") with { Version = "9" }, null));

        Assert.That(model!.Message, Does.Contain("'nope' is not in the model store").And.Contain("it holds demo"));
        Assert.That(version!.Message, Does.Contain("no version '9'; it has 3"));
        Assert.That(File.Exists(Path.Combine(_store.DataPath, "x.db")), Is.False);
    }

    /// <summary>
    /// Rows per run follow the model's configuration; a model whose configuration declares no batching, or that has no
    /// batch dimension, runs rows one by one; a batch size above the maximum is capped.
    /// </summary>
    [Test]
    public async Task RunAsync_BatchSize_FollowsTheModelsConfiguration()
    {
        _store.AddModel("preferred", "1", SyntheticModels.Demo().Bytes, new ModelConfig { MaxBatchSize = 32, DynamicBatching = new DynamicBatchingConfig { PreferredBatchSize = [4, 16] } });
        _store.AddModel("max", "1", SyntheticModels.Demo().Bytes, new ModelConfig { MaxBatchSize = 8 });
        _store.AddModel("plain", "1", SyntheticModels.Demo().Bytes);
        _store.AddModel("declared", "1", SyntheticModels.Demo().Bytes, new ModelConfig { DynamicBatching = new DynamicBatchingConfig() });
        _store.AddModel("huge", "1", SyntheticModels.Demo().Bytes, new ModelConfig { MaxBatchSize = 100_000 });
        var fixedModel = new OnnxModelBuilder("fixed")
            .AddInput("input", DataType.Float, 1, 4)
            .AddNode("Neg", ["input"], ["negated"])
            .AddOutput("negated", DataType.Float, 1, 4)
            .Build();
        _store.AddModel("fixed", "1", fixedModel);
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(10)));

        var sizes = new List<int>();
        foreach (var model in new[] { "preferred", "max", "plain", "declared", "huge", "fixed" })
        {
            var status = await runner.RunAsync(_store.Spec($"{model}.db", model: model, batchSize: null), null);
            Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
            sizes.Add(status.BatchSize);
        }

        Assert.That(sizes, Is.EqualTo(new[] { 16, 8, 1, BatchJobRunner.DefaultBatchSize, BatchJobRunner.MaxBatchSize, 1 }));
        var negated = BatchResults.Results(Path.Combine(_store.DataPath, "fixed.db"));
        Assert.That(negated, Has.Count.EqualTo(10));
        Assert.That(negated[0].Shape, Is.EqualTo("[1,4]"));
    }

    /// <summary>Outside the host the job's summary event is spooled for the host to import; it is the final status.</summary>
    [Test]
    public async Task RunAsync_Standalone_SpoolsItsFinishedEvent()
    {
        _store.AddDemo();
        var status = await _store.Runner(new TestInput(TestInput.DemoRows(12))).RunAsync(_store.Spec("spooled.db"), null);

        var file = Directory.GetFiles(_store.Spool, "*.json").Single();
        var spooled = JsonSerializer.Deserialize(File.ReadAllText(file), ContractsJsonContext.Default.BatchJobStatus);
        Assert.That(spooled, Is.EqualTo(status));
        Assert.That(Path.GetFileName(file), Does.Contain(status.Id));
    }

    /// <summary>Progress is reported while the job runs, and its last report is the final status.</summary>
    [Test]
    public async Task RunAsync_Progress_ReportsRunningThenTheFinalStatus()
    {
        _store.AddDemo();
        using var hold = new ManualResetEventSlim();
        var input = new TestInput(TestInput.DemoRows(80)) { BeforeRow = (index, token) => { if (index == 40) { hold.Wait(token); } } };
        var reports = new List<BatchJobStatus>();
        var progress = new Reports(reports);
        var running = _store.Runner(input).RunAsync(_store.Spec("progress.db", batchSize: 4), progress);

        await Sync.Wait.UntilAsync(() => progress.Last is { State: BatchJobStates.Running, RowsSucceeded: 40 }, "a running report with the first 40 rows");
        hold.Set();
        var status = await running;

        Assert.That(progress.Last, Is.EqualTo(status));
        var runningReport = reports.First(r => r.State == BatchJobStates.Running);
        Assert.That((runningReport.RowsTotal, runningReport.FinishedMs), Is.EqualTo(((long?)80, (long?)null)));
    }

    /// <summary>A standalone job, too, never reads or writes the device's own state: the telemetry store, the job service's folder, the model repository.</summary>
    [Test]
    public void RunAsync_PathsInTheDevicesOwnState_Refused()
    {
        _store.AddDemo();
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(5)));

        var store = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(_store.Spec("state.db") with { Restart = true }, null));
        var registry = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(_store.Spec("batch-state/jobs.json") with { Restart = true }, null));
        var model = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(_store.Spec("models/demo/1/scores.csv"), null));

        Assert.That(store!.Message, Does.Contain("is inside the telemetry store"));
        Assert.That(registry!.Message, Does.Contain("is inside the batch job service's own folder"));
        Assert.That(model!.Message, Does.Contain("is inside the model repository"));
        Assert.That(File.Exists(Path.Combine(_store.DataPath, "state.db")), Is.False);
        Assert.That(Directory.Exists(_store.StateDirectory), Is.False);
    }

    /// <summary>
    /// A model whose configuration declares no batching is served one request at a time online, so a job runs it row
    /// by row too, even with a dynamic first dimension: a model that mixes the rows of a run (a Softmax over axis 0
    /// here; non-maximum suppression or batch statistics in real models) then gives every row what online inference gives it.
    /// </summary>
    [Test]
    public async Task RunAsync_RowMixingModelWithoutDeclaredBatching_EveryRowEqualsOnline()
    {
        var modelPath = _store.AddModel("mix", "1", RowMixingModel());
        var rows = TestInput.DemoRows(8);
        var spec = _store.Spec("mix.db", model: "mix", batchSize: null, parallelism: 1);

        var status = await _store.Runner(new TestInput(rows)).RunAsync(spec, null);

        Assert.That((status.State, status.BatchSize), Is.EqualTo((BatchJobStates.Completed, 1)), status.Reason);
        using var reference = BatchTestStore.ReferenceSession(modelPath);
        var results = BatchResults.Results(spec.Output);
        Assert.That(results, Has.Count.EqualTo(8));
        foreach (var result in results)
        {
            using var request = new InferenceRequest { Inputs = [rows[(int)result.Idx].ToBatchRow(result.Idx, "input").Inputs[0]] };
            using var online = reference.Run(request, "mix");
            Assert.That(result.Data, Is.EqualTo(online.Outputs[0].Data.ToArray()), $"row {result.Idx}: {result.Value}");
        }
    }

    /// <summary>
    /// A model whose output does not have one row per stacked row (each row twice here) stops stacking at the first
    /// such run, logged once: every row is run alone instead, and the job database records batch size 1, so a resumed
    /// run does not try again.
    /// </summary>
    [Test]
    public async Task RunAsync_OutputNotOneRowPerRow_StopsStackingOnceAndRunsRowByRow()
    {
        var model = new OnnxModelBuilder("twice")
            .AddInput("input", DataType.Float, SyntheticModels.BatchDimension, 4)
            .AddNode("Concat", ["input", "input"], ["twice"], OnnxAttribute.Int("axis", 0))
            .AddOutput("twice", DataType.Float, SyntheticModels.BatchDimension, 4)
            .Build();
        _store.AddModel("twice", "1", model);
        var rows = TestInput.DemoRows(40);
        var log = new EventLog();
        var input = new TestInput(rows);
        var runner = new BatchJobRunner(_store.Runtime, new BatchOptions(), new DeviceProfile(), log, inHost: false, openInput: (_, _, _) => input);
        var spec = _store.Spec("twice.db", model: "twice", batchSize: 8, parallelism: 2);

        var status = await runner.RunAsync(spec, null);

        Assert.That((status.State, status.RowsSucceeded, status.BatchSize), Is.EqualTo((BatchJobStates.Completed, 40L, 1)), status.Reason);
        Assert.That(log.Count(1838), Is.EqualTo(1), "stacking stopped, logged once");
        Assert.That(log.Count(1810), Is.Zero, "no stacked run was counted as a failed one");
        Assert.That(BatchResults.Job(spec.Output)["batch_size"], Is.EqualTo("1"));
        foreach (var result in BatchResults.Results(spec.Output))
        {
            Assert.That((result.Shape, result.Data), Is.EqualTo(("[2,4]", rows[(int)result.Idx].Data!.Concat(rows[(int)result.Idx].Data!).ToArray())), $"row {result.Idx} twice");
        }
    }

    /// <summary>Rows whose inputs would take a batch past its byte limit start a new batch, whatever the batch size.</summary>
    [Test]
    public async Task RunAsync_RowsPastTheBatchByteLimit_StartANewBatch()
    {
        var modelPath = _store.AddModel("mix", "1", RowMixingModel());
        var rows = TestInput.DemoRows(10);
        var input = new TestInput(rows);

        // Four rows of four floats fill 64 bytes: runs of 8 rows are cut into runs of 4, 4 and 2, which the row-mixing model shows.
        var runner = new BatchJobRunner(_store.Runtime, new BatchOptions(), new DeviceProfile(), NullLoggerFactory.Instance, inHost: false, openInput: (_, _, _) => input) { MaxBatchBytes = 64 };
        var spec = _store.Spec("mix.db", model: "mix", batchSize: 8, parallelism: 1);
        var status = await runner.RunAsync(spec, null);

        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
        var results = BatchResults.Results(spec.Output);
        using var reference = BatchTestStore.ReferenceSession(modelPath);
        foreach (var (first, count) in new[] { (0, 4), (4, 4), (8, 2) })
        {
            var stacked = rows.Skip(first).Take(count).SelectMany(row => row.Data!).ToArray();
            using var request = new InferenceRequest { Inputs = [new InferenceTensor("input", TensorDataType.Fp32, [count, 4], stacked)] };
            using var run = reference.Run(request, "mix");
            var expected = Floats(run.Outputs[0].Data.ToArray());
            for (var i = 0; i < count; i++)
            {
                Assert.That(Floats(results[first + i].Data), Is.EqualTo(expected[(4 * i)..(4 * i + 4)]).Within(1e-6f), $"row {first + i} ran with rows {first}..{first + count - 1}");
            }
        }
    }

    /// <summary>A second run of a job that is running in this process is refused, naming the job and this process.</summary>
    [Test]
    public async Task RunAsync_SameJobRunningInThisProcess_Refused()
    {
        _store.AddDemo();
        using var hold = new ManualResetEventSlim();
        var input = new TestInput(TestInput.DemoRows(30)) { BeforeRow = (index, token) => { if (index == 10) { hold.Wait(token); } } };
        var spec = _store.Spec("locked.csv") with { Id = "locked" };
        var running = _store.Runner(input).RunAsync(spec, null);
        await Sync.Wait.UntilAsync(() => input.RowsRead >= 10, "the first run waits at row 10");

        var second = Assert.ThrowsAsync<BatchJobException>(() => _store.Runner(new TestInput(TestInput.DemoRows(30))).RunAsync(spec, null));
        hold.Set();
        var status = await running;

        Assert.That(second!.Message, Is.EqualTo($"job locked is running already in this process (pid {Environment.ProcessId}); {spec.Output}.job.db.lock is its lock"));
        Assert.That((status.State, status.RowsSucceeded), Is.EqualTo((BatchJobStates.Completed, 30L)));
    }

    /// <summary>
    /// A job whose lock another process holds (a real one, holding an flock as .NET takes it) is refused with that
    /// process's id; once the process is gone — killed, so it never unlocked — the kernel has dropped its lock and the job runs.
    /// </summary>
    [Test]
    public async Task RunAsync_JobLockedByAnotherProcess_RefusedWithItsPidUntilItIsGone()
    {
        Assume.That(File.Exists("/usr/bin/flock"), "needs flock(1) to hold the lock from another process");
        _store.AddDemo();
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(10)));
        var spec = _store.Spec("other.db") with { Id = "other" };
        var lockPath = spec.Output + ".lock";
        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "echo \"$$ other\" > \"$0\" && exec /usr/bin/flock -o \"$0\" sleep 300", lockPath } };
        using var holder = Process.Start(start)!;
        BatchJobException? refused;
        try
        {
            await Sync.Wait.UntilAsync(() => IsLocked(lockPath), "the other process holds the lock");
            refused = Assert.ThrowsAsync<BatchJobException>(() => runner.RunAsync(spec, null));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }

        Assert.That(refused!.Message, Is.EqualTo($"job other is running in another process (pid {holder.Id}); {lockPath} is its lock"));
        Assert.That(File.Exists(spec.Output), Is.False, "nothing was opened");
        var status = await runner.RunAsync(spec, null);
        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed), status.Reason);
    }

    /// <summary>
    /// In the host a job gets at most its part of the core share, whatever it or the configuration asks for: floor(cores ×
    /// CoreShare), split between the jobs that may run at once, at least one; standalone it gets what it asks for.
    /// </summary>
    [Test]
    public async Task RunAsync_InHost_WorkersCappedAtTheJobsPartOfTheCoreShare()
    {
        _store.AddDemo();
        var cores = Environment.ProcessorCount;

        var alone = await _store.Runner(new TestInput(TestInput.DemoRows(5)), new BatchOptions { CoreShare = 0.5 }, inHost: true).RunAsync(_store.Spec("a.db", parallelism: 64), null);
        var shared = await _store.Runner(new TestInput(TestInput.DemoRows(5)), new BatchOptions { CoreShare = 1, MaxConcurrentJobs = 2, Parallelism = 64 }, inHost: true).RunAsync(_store.Spec("b.db", parallelism: null), null);
        var standalone = await _store.Runner(new TestInput(TestInput.DemoRows(5)), new BatchOptions { CoreShare = 0.5 }).RunAsync(_store.Spec("c.db", parallelism: 3), null);

        Assert.That(alone.Parallelism, Is.EqualTo(Math.Max(1, cores / 2)));
        Assert.That(shared.Parallelism, Is.EqualTo(Math.Max(1, cores / 2)));
        Assert.That(standalone.Parallelism, Is.EqualTo(3));
        Assert.That(new[] { alone, shared, standalone }.Select(s => s.State), Has.All.EqualTo(BatchJobStates.Completed));
    }

    /// <summary>A batch size past the maximum is refused before anything is opened.</summary>
    [Test]
    public void RunAsync_BatchSizePastTheMaximum_Refused()
    {
        _store.AddDemo();

        var refused = Assert.ThrowsAsync<BatchJobException>(() => _store.Runner(new TestInput(TestInput.DemoRows(5))).RunAsync(_store.Spec("big.db", batchSize: 5000), null));

        Assert.That(refused!.Message, Is.EqualTo("batch_size must be 1–4096, not 5000"));
        Assert.That(File.Exists(Path.Combine(_store.DataPath, "big.db")), Is.False);
    }

    /// <summary>
    /// A run that recorded the job completed but died before recording its event leaves the job database without
    /// event_published: the next run of the completed job records the same event then, and a run after that does not.
    /// </summary>
    [Test]
    public async Task RunAsync_CompletedButItsEventNeverRecorded_RerunRecordsItOnce()
    {
        _store.AddDemo();
        var runner = _store.Runner(new TestInput(TestInput.DemoRows(12)));
        var spec = _store.Spec("events.csv");
        var first = await runner.RunAsync(spec, null);
        var database = spec.Output + ".job.db";
        Assert.That(BatchResults.Job(database)["event_published"], Is.EqualTo("1"));

        // What a process killed after committing the final state and before recording the event leaves behind.
        File.Delete(Directory.GetFiles(_store.Spool, "*.json").Single());
        using (var db = new SQLiteConnection(database))
        {
            db.Execute("DELETE FROM job WHERE name = 'event_published'");
        }

        var again = await runner.RunAsync(spec, null);
        await runner.RunAsync(spec, null);

        Assert.That(again.State, Is.EqualTo(BatchJobStates.Completed));
        var spooled = Directory.GetFiles(_store.Spool, "*.json").Select(f => JsonSerializer.Deserialize(File.ReadAllText(f), ContractsJsonContext.Default.BatchJobStatus)).ToList();
        Assert.That(spooled, Is.EqualTo(new[] { first }), "the lost event, as the run that ended sent it, once");
        Assert.That(BatchResults.Job(database)["event_published"], Is.EqualTo("1"));
    }

    /// <summary>A model of [batch, 4] floats whose output is a Softmax over the batch: every row's result depends on the rows it ran with.</summary>
    private static byte[] RowMixingModel() => new OnnxModelBuilder("mix")
        .AddInput("input", DataType.Float, SyntheticModels.BatchDimension, 4)
        .AddNode("Softmax", ["input"], ["probabilities"], OnnxAttribute.Int("axis", 0))
        .AddOutput("probabilities", DataType.Float, SyntheticModels.BatchDimension, 4)
        .Build();

    /// <summary>Whether another open file holds <paramref name="path"/>'s lock.</summary>
    private static bool IsLocked(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private static string DatabaseOf(string output) => output.EndsWith(".db", StringComparison.Ordinal) ? output : output + ".job.db";

    /// <summary>Checks that <paramref name="spec"/>'s output is exactly what one uninterrupted run over the same rows writes.</summary>
    private void AssertEqualsCleanRun(BatchJobSpec spec, List<TestRow> rows)
    {
        var clean = spec with { Output = Path.Combine(_store.DataPath, "clean-" + Path.GetFileName(spec.Output)) };
        var status = _store.Runner(new TestInput(rows)).RunAsync(clean, null).GetAwaiter().GetResult();
        Assert.That(status.State, Is.EqualTo(BatchJobStates.Completed));
        if (spec.Output.EndsWith(".db", StringComparison.Ordinal))
        {
            var results = BatchResults.Results(spec.Output);
            Assert.That(results.GroupBy(r => r.Idx).All(g => g.Count() == 1), "one result per row");
            Assert.That(results.Select(r => (r.Idx, r.Key, r.Data)), Is.EqualTo(BatchResults.Results(clean.Output).Select(r => (r.Idx, r.Key, r.Data))));
            Assert.That(BatchResults.Errors(spec.Output).Select(e => (e.Idx, e.Message)), Is.EqualTo(BatchResults.Errors(clean.Output).Select(e => (e.Idx, e.Message))));
            var indexes = results.Select(r => r.Idx).Concat(BatchResults.Errors(spec.Output).Select(e => e.Idx)).Order();
            Assert.That(indexes, Is.EqualTo(Enumerable.Range(0, rows.Count).Select(i => (long)i)), "every row has exactly one result or error");
            return;
        }

        Assert.That(File.ReadAllBytes(spec.Output), Is.EqualTo(File.ReadAllBytes(clean.Output)), "the resumed output equals a clean run's byte for byte");
        Assert.That(BatchResults.Errors(spec.Output + ".job.db").Select(e => e.Idx), Is.EqualTo(BatchResults.Errors(clean.Output + ".job.db").Select(e => e.Idx)));
    }

    /// <summary>The demo model's output for each good row, run alone on a session of the same file.</summary>
    private static Dictionary<int, byte[]> Reference(string modelPath, List<TestRow> rows)
    {
        using var session = BatchTestStore.ReferenceSession(modelPath);
        var expected = new Dictionary<int, byte[]>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is not { Error: null, Data: not null, Shape: [1, 4] })
            {
                continue;
            }

            using var request = new InferenceRequest { Inputs = [rows[i].ToBatchRow(i, "input").Inputs[0]] };
            using var response = session.Run(request, "demo");
            expected[i] = response.Outputs[0].Data.ToArray();
        }

        return expected;
    }

    private static float[] Floats(byte[] data) => MemoryMarshal.Cast<byte, float>(data).ToArray();

    /// <summary>
    /// This process's threads named edge-batch-*, with their nice value and scheduling policy (fields 19 and 41 of
    /// /proc/self/task/&lt;tid&gt;/stat).
    /// </summary>
    private static Dictionary<string, (int Nice, int Policy)> BatchThreads()
    {
        var threads = new Dictionary<string, (int Nice, int Policy)>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (!name.StartsWith("edge-batch-", StringComparison.Ordinal))
                {
                    continue;
                }

                // The name sits in parentheses and may hold spaces: count the fields after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                threads[name] = (int.Parse(fields[19 - 3], CultureInfo.InvariantCulture), int.Parse(fields[41 - 3], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The thread ended while being read.
            }
        }

        return threads;
    }

    /// <summary>Keeps every report, synchronously.</summary>
    private sealed class Reports(List<BatchJobStatus> reports) : IProgress<BatchJobStatus>
    {
        public BatchJobStatus? Last
        {
            get
            {
                lock (reports)
                {
                    return reports.Count == 0 ? null : reports[^1];
                }
            }
        }

        public void Report(BatchJobStatus value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
