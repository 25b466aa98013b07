using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Sync;
using EdgeRuntime.Device.Tests.Telemetry;
using EdgeRuntime.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>
/// The host's job service over a real data directory: jobs run on real sessions and write real files, the registry
/// survives a new service instance, schedules fire on the real clock, and spooled events reach a real telemetry store.
/// </summary>
public sealed class BatchJobServiceTests
{
    private BatchTestStore _store = null!;
    private TestInput _input = null!;
    private List<BatchJobService> _services = null!;

    [SetUp]
    public void SetUp()
    {
        _store = new BatchTestStore();
        _store.AddDemo();
        _input = new TestInput(TestInput.DemoRows(30));
        _services = [];
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var service in _services)
        {
            await service.StopAsync(CancellationToken.None);
            service.Dispose();
        }

        _store.Dispose();
    }

    /// <summary>A submitted job runs with its relative paths under &lt;data&gt;/batch, is listed newest first, counted in the metrics, and found by id.</summary>
    [Test]
    public async Task Submit_RelativePaths_RunsUnderTheBatchFolder()
    {
        var metrics = new DeviceMetrics();
        var service = await StartAsync(metrics: metrics);

        var older = service.Submit(Job("first.csv"));
        var queued = service.Submit(Job("out/results.csv"));
        await Wait.UntilAsync(() => service.List().All(j => j.State == BatchJobStates.Completed), "both jobs completed");

        var output = Path.Combine(_store.BatchDirectory, "out", "results.csv");
        Assert.That(queued.Output, Is.EqualTo(output));
        Assert.That(queued.Id, Is.EqualTo(BatchJobRunner.DefaultJobId(output)));
        Assert.That(File.ReadAllLines(output), Has.Length.EqualTo(31));
        Assert.That(service.List().Select(j => j.Id), Is.EqualTo(new[] { queued.Id, older.Id }));
        var done = service.Get(queued.Id)!;
        Assert.That((done.Trigger, done.Version, done.RowsSucceeded, done.Parallelism), Is.EqualTo(("api", "1", 30L, 1)));
        Assert.That(service.Get("no-such-job"), Is.Null);
        Assert.That(metrics.BatchRows.WithLabels("demo", "1", "succeeded").Value, Is.EqualTo(60));
        Assert.That(metrics.BatchJobs.WithLabels(BatchJobStates.Completed).Value, Is.EqualTo(2));
        Assert.That(metrics.BatchJobsRunning.Value, Is.Zero);
    }

    /// <summary>Submitting an unfinished job's id again returns it instead of running it twice; Cancel ends it as cancelled.</summary>
    [Test]
    public async Task Cancel_RunningJob_EndsCancelledAndASecondSubmitDoesNotRunItTwice()
    {
        using var hold = new ManualResetEventSlim();
        _input.BeforeRow = (index, token) => { if (index == 10) { hold.Wait(token); } };
        var service = await StartAsync();
        var submitted = service.Submit(Job("held.csv") with { Id = "held" });
        await Wait.UntilAsync(() => _input.RowsRead == 10, "the job runs and waits at row 10");

        var again = service.Submit(Job("held.csv") with { Id = "held" });

        Assert.That(again.Id, Is.EqualTo("held"));
        Assert.That(again.State, Is.EqualTo(BatchJobStates.Running));
        Assert.That(_input.ReadFrom, Has.Count.EqualTo(1), "the job was not started a second time");
        Assert.That(service.Cancel("held"), Is.True);
        await Wait.UntilAsync(() => service.Get("held")!.State == BatchJobStates.Cancelled, "the job is cancelled");
        Assert.That(service.Cancel("held"), Is.False, "a finished job cannot be cancelled");
        Assert.That(service.Cancel("no-such-job"), Is.False);
        Assert.That(submitted.State, Is.AnyOf(BatchJobStates.Queued, BatchJobStates.Running));
    }

    /// <summary>A queued job can be cancelled before it starts; it never runs.</summary>
    [Test]
    public async Task Cancel_QueuedJob_NeverRuns()
    {
        using var hold = new ManualResetEventSlim();
        _input.BeforeRow = (index, token) => { if (index == 5) { hold.Wait(token); } };
        var service = await StartAsync(new BatchOptions { MaxConcurrentJobs = 1 });
        service.Submit(Job("a.csv") with { Id = "a" });
        var queued = service.Submit(Job("b.csv") with { Id = "b" });
        Assert.That(queued.State, Is.EqualTo(BatchJobStates.Queued), "one job at a time: the second waits");

        Assert.That(service.Cancel("b"), Is.True);
        hold.Set();
        await Wait.UntilAsync(() => service.Get("a")!.State == BatchJobStates.Completed, "the first job completes");

        Assert.That(service.Get("b")!.State, Is.EqualTo(BatchJobStates.Cancelled));
        Assert.That(File.Exists(Path.Combine(_store.BatchDirectory, "b.csv")), Is.False);
    }

    /// <summary>Paths outside the allowed roots are refused, through .. or through a link; so is an unknown model, at once.</summary>
    [Test]
    public async Task Submit_OutsideAllowedRootsOrUnknownModel_Refused()
    {
        var service = await StartAsync();
        var outside = Path.Combine(_store.DataPath, "elsewhere");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(_store.BatchDirectory);
        Directory.CreateSymbolicLink(Path.Combine(_store.BatchDirectory, "link"), outside);

        var dotDot = Assert.Throws<BatchJobException>(() => service.Submit(Job("../escape.csv")));
        var absolute = Assert.Throws<BatchJobException>(() => service.Submit(Job(Path.Combine(outside, "x.csv"))));
        var link = Assert.Throws<BatchJobException>(() => service.Submit(Job("link/x.csv")));
        var input = Assert.Throws<BatchJobException>(() => service.Submit(Job("ok.csv") with { Input = new BatchInputOptions { Path = "/etc/passwd" } }));
        var model = Assert.Throws<BatchJobException>(() => service.Submit(Job("ok.csv") with { Model = "nope" }));

        Assert.That(dotDot!.Message, Does.Contain("is outside the folders batch jobs may use").And.Contain(_store.BatchDirectory));
        Assert.That(absolute!.Message, Does.Contain("outside"));
        Assert.That(link!.Message, Does.Contain("outside"));
        Assert.That(input!.Message, Does.Contain("the input /etc/passwd is outside"));
        Assert.That(model!.Message, Does.Contain("'nope' is not in the model store"));
        Assert.That(service.List(), Is.Empty);
    }

    /// <summary>Configured allowed roots replace the default; relative ones are under the data directory.</summary>
    [Test]
    public async Task Submit_ConfiguredRoot_AllowsIt()
    {
        var service = await StartAsync(new BatchOptions { AllowedRoots = ["shared"] });
        var output = Path.Combine(_store.DataPath, "shared", "x.csv");

        var status = service.Submit(Job(output) with { Input = new BatchInputOptions { Path = Path.Combine(_store.DataPath, "shared", "rows.test") } });
        await Wait.UntilAsync(() => service.Get(status.Id)!.State == BatchJobStates.Completed, "the job completes");

        Assert.That(File.Exists(output), Is.True);
        Assert.Throws<BatchJobException>(() => service.Submit(Job("y.csv")), "the default root is no longer allowed");
    }

    /// <summary>A new service over the same data directory runs the job an earlier one had queued but never started.</summary>
    [Test]
    public async Task NewInstance_ResumesAQueuedJob()
    {
        var first = NewService();
        var queued = first.Submit(Job("later.csv"));
        Assert.That(queued.State, Is.EqualTo(BatchJobStates.Queued));
        first.Dispose();
        _services.Remove(first);

        var second = await StartAsync();

        await Wait.UntilAsync(() => second.Get(queued.Id)?.State == BatchJobStates.Completed, "the second instance ran the queued job");
        Assert.That(File.ReadAllLines(Path.Combine(_store.BatchDirectory, "later.csv")), Has.Length.EqualTo(31));
    }

    /// <summary>A job running when the host stops is not cancelled for good: the next start resumes it from its checkpoint, every row once.</summary>
    [Test]
    public async Task NewInstance_ResumesAJobTheStoppedHostWasRunning()
    {
        using var hold = new ManualResetEventSlim();
        var input = new TestInput(TestInput.DemoRows(40)) { BeforeRow = (index, token) => { if (index == 20) { hold.Wait(token); } } };
        var first = await StartAsync(input: input);
        var job = first.Submit(Job("resumed.db") with { BatchSize = 4 });
        await Wait.UntilAsync(() => first.Get(job.Id)!.RowsSucceeded == 20, "the first 20 rows are committed");

        await first.StopAsync(CancellationToken.None);
        Assert.That(first.Get(job.Id)!.State, Is.EqualTo(BatchJobStates.Running), "kept to resume, not cancelled");
        input.BeforeRow = null;
        input.ResetCount();
        var second = await StartAsync(input: input);
        await Wait.UntilAsync(() => second.Get(job.Id)?.State == BatchJobStates.Completed, "the second instance finished the job");

        var done = second.Get(job.Id)!;
        Assert.That((done.RowsSucceeded, done.RowsResumed), Is.EqualTo((40L, 20L)));
        Assert.That(input.RowsRead, Is.EqualTo(20));
        var results = BatchResults.Results(Path.Combine(_store.BatchDirectory, "resumed.db"));
        Assert.That(results.Select(r => r.Idx), Is.EqualTo(Enumerable.Range(0, 40).Select(i => (long)i)), "every row exactly once");
    }

    /// <summary>A schedule with a seconds field fires on the clock and writes each run's output under a name with its date and time.</summary>
    [Test]
    public async Task Schedule_EverySecond_SubmitsJobsWithTheOccurrenceInTheirOutput()
    {
        var options = new BatchOptions
        {
            Schedules =
            {
                ["nightly"] = new BatchScheduleOptions { Cron = "*/1 * * * * *", Model = "demo", Input = "rows.test", Output = "scheduled/{name}-{date}-{time}.csv" },
            },
        };
        var service = await StartAsync(options);

        await Wait.UntilAsync(() => service.List().Any(j => j.Trigger == "schedule:nightly" && j.State == BatchJobStates.Completed), "a scheduled job completed");

        var job = service.List().First(j => j.Trigger == "schedule:nightly" && j.State == BatchJobStates.Completed);
        var match = Regex.Match(job.Id, @"^nightly-(\d{8})-(\d{6})$");
        Assert.That(match.Success, Is.True, job.Id);
        Assert.That(job.Output, Is.EqualTo(Path.Combine(_store.BatchDirectory, "scheduled", $"nightly-{match.Groups[1].Value}-{match.Groups[2].Value}.csv")));
        Assert.That(File.ReadAllLines(job.Output), Has.Length.EqualTo(31));
    }

    /// <summary>
    /// A nightly schedule whose host was down for three nights runs once when the host is back, for the latest night it
    /// missed; the time the host watched up to is kept in batch-state/schedules.json.
    /// </summary>
    [Test]
    public async Task Schedule_MissedWhileDown_RunsTheLatestOccurrenceOnceAtStart()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var options = Nightly(catchUp: true);
        var service = await RestartAfterThreeDaysAsync(options, clock);

        // The file is written once the catch-up is submitted, which may be after its job has completed.
        await Wait.UntilAsync(
            () => Scheduled(service).Any(j => j.State == BatchJobStates.Completed) && Watched().GetValueOrDefault("nightly") == clock.GetUtcNow().ToUnixTimeMilliseconds(),
            "the missed night's job completed and the start recorded itself");
        Assert.That(Scheduled(service).Select(j => j.Id), Is.EqualTo(new[] { "nightly-20260304-020000" }), "only the latest missed night runs");
        Assert.That(File.ReadAllLines(Path.Combine(_store.BatchDirectory, "scheduled", "nightly-20260304.csv")), Has.Length.EqualTo(31));

        // A host that ran the night and died before noting so: the file still holds the first start. The next start
        // finds the night's job in the registry and does not submit it again.
        await StopAsync(service);
        WriteWatched(new() { ["nightly"] = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() });
        var third = await StartAsync(options, time: clock);
        await Wait.UntilAsync(() => Watched().GetValueOrDefault("nightly") == clock.GetUtcNow().ToUnixTimeMilliseconds(), "the third start recorded itself");
        Assert.That(Scheduled(third).Select(j => (j.Id, j.State)), Is.EqualTo(new[] { ("nightly-20260304-020000", BatchJobStates.Completed) }));
    }

    /// <summary>A schedules.json holding a time no date can have is ignored rather than stopping the host.</summary>
    [Test]
    public async Task Schedule_WatchedFileWithAnImpossibleTime_IsIgnored()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        WriteWatched(new() { ["nightly"] = 9_000_000_000_000_000 });

        var service = await StartAsync(Nightly(catchUp: true), time: clock);

        await Wait.UntilAsync(() => Watched().GetValueOrDefault("nightly") == clock.GetUtcNow().ToUnixTimeMilliseconds(), "the start recorded itself");
        Assert.That(Scheduled(service), Is.Empty);
    }

    /// <summary>With <c>CatchUp</c> off, nights missed while the host was down stay missed.</summary>
    [Test]
    public async Task Schedule_MissedWhileDownWithoutCatchUp_RunsNothing()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var service = await RestartAfterThreeDaysAsync(Nightly(catchUp: false), clock);

        // The file is written after the catch-up decision: once it holds the new start, a catch-up would have been submitted.
        await Wait.UntilAsync(() => Watched().GetValueOrDefault("nightly") == clock.GetUtcNow().ToUnixTimeMilliseconds(), "the second start recorded itself");
        Assert.That(Scheduled(service), Is.Empty);
    }

    /// <summary>
    /// Events spooled by a job outside the host reach the telemetry store once the service runs, and the spool file goes;
    /// a job in the host records its event directly.
    /// </summary>
    [Test]
    public async Task SpooledEvents_ImportedIntoTheTelemetryStore()
    {
        var standalone = await _store.Runner(_input).RunAsync(_store.Spec("standalone.csv"), null);
        var spool = _store.Spool;
        Assert.That(Directory.GetFiles(spool, "*.json"), Has.Length.EqualTo(1));
        using var telemetry = new TelemetryStore(Path.Combine(_store.DataPath, "state.db"), 1 << 24, TimeSpan.FromDays(1));
        using var recorder = new TelemetryRecorder(telemetry, Options.Create(new TelemetryStoreOptions()), NullLogger<TelemetryRecorder>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        try
        {
            var service = await StartAsync(recorder: recorder);
            var inHost = service.Submit(Job("in-host.csv"));
            await Wait.UntilAsync(() => Finished(telemetry).Count == 2 && Directory.GetFiles(spool, "*.json").Length == 0, "both events are in the store and the spool is empty");

            var events = Finished(telemetry);
            Assert.That(events.Select(e => e.Id).Order(), Is.EqualTo(new[] { standalone.Id, inHost.Id }.Order()));
            Assert.That(events.Single(e => e.Id == standalone.Id), Is.EqualTo(standalone));
            Assert.That(events.All(e => e.State == BatchJobStates.Completed && e.Model == "demo" && e.Version == "1"));
        }
        finally
        {
            await recorder.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Whatever the allowed roots say, no job reads or writes the service's own folder (its registry, the event spool),
    /// the model repository, the compiled-model cache or the telemetry store — not through a link either.
    /// </summary>
    [Test]
    public async Task Submit_PathsInTheDevicesOwnState_RefusedWhateverTheRoots()
    {
        var service = await StartAsync(new BatchOptions { Parallelism = 1, AllowedRoots = ["."] });
        var kept = service.Submit(Job("keep.csv") with { Id = "keep" });
        await Wait.UntilAsync(() => service.Get("keep")!.State == BatchJobStates.Completed, "the first job completed");
        var registryPath = Path.Combine(_store.StateDirectory, "jobs.json");
        var registry = File.ReadAllBytes(registryPath);
        Directory.CreateSymbolicLink(Path.Combine(_store.BatchDirectory, "state-link"), _store.StateDirectory);

        var refused = new[]
        {
            Job("../batch-state/jobs.json") with { Restart = true },
            Job("state-link/jobs.json") with { Restart = true },
            Job("../batch-state/events/fake.json"),
            Job("../models/demo/1/scores.db"),
            Job("../cache/scores.csv"),
            Job("../state.db") with { Restart = true },
            Job("../state.db-wal") with { OutputFormat = "csv" },
            Job("ok.csv") with { Input = new BatchInputOptions { Path = "../models/demo/1/model.onnx" } },
        }.Select(spec => Assert.Throws<BatchJobException>(() => service.Submit(spec))!.Message).ToList();

        Assert.That(refused, Has.All.Contains("which batch jobs may never read or write"));
        Assert.That(refused[0], Does.Contain("the batch job service's own folder " + _store.StateDirectory));
        Assert.That(refused[3], Does.Contain("the model repository"));
        Assert.That(refused[5], Does.Contain("the telemetry store"));
        Assert.That(File.ReadAllBytes(registryPath), Is.EqualTo(registry));
        Assert.That(service.List().Select(j => j.Id), Is.EqualTo(new[] { kept.Id }));
    }

    /// <summary>
    /// A job may not write a file an unfinished job reads or writes, compared as resolved files: another job's
    /// &lt;output&gt;.job.db is refused as an output (even with Restart), and so is its output reached through a link,
    /// or its output as an input; the running job keeps its checkpoint.
    /// </summary>
    [Test]
    public async Task Submit_FilesOfAnUnfinishedJob_Refused()
    {
        using var hold = new ManualResetEventSlim();
        _input.BeforeRow = (index, token) => { if (index == 10) { hold.Wait(token); } };
        var service = await StartAsync(new BatchOptions { Parallelism = 1, MaxConcurrentJobs = 2 });
        service.Submit(Job("a.csv") with { Id = "a" });
        await Wait.UntilAsync(() => _input.RowsRead >= 10, "job a runs");
        Directory.CreateSymbolicLink(Path.Combine(_store.BatchDirectory, "alias"), _store.BatchDirectory);

        var database = Assert.Throws<BatchJobException>(() => service.Submit(Job("a.csv.job.db") with { Id = "b", Restart = true }));
        var linked = Assert.Throws<BatchJobException>(() => service.Submit(Job("alias/a.csv") with { Id = "c", Restart = true }));
        var reads = Assert.Throws<BatchJobException>(() => service.Submit(Job("d.csv") with { Id = "d", Input = new BatchInputOptions { Path = "alias/a.csv" } }));
        var writesInput = Assert.Throws<BatchJobException>(() => service.Submit(Job("rows.test") with { Id = "e", OutputFormat = "csv", Restart = true }));
        hold.Set();
        await Wait.UntilAsync(() => service.Get("a")!.State == BatchJobStates.Completed, "job a completed");

        Assert.That(database!.Message, Does.Contain("job a writes").And.Contain("a.csv.job.db"));
        Assert.That(linked!.Message, Does.Contain("job a writes").And.Contain(Path.Combine(_store.BatchDirectory, "a.csv")));
        Assert.That(reads!.Message, Does.Contain("job a is writing").And.Contain("which this job would read"));
        Assert.That(writesInput!.Message, Does.Contain("job a reads"));
        Assert.That(service.List().Select(j => j.Id), Is.EqualTo(new[] { "a" }));
        Assert.That(File.ReadAllLines(Path.Combine(_store.BatchDirectory, "a.csv")), Has.Length.EqualTo(31));
    }

    /// <summary>
    /// A registry that is not readable JSON is not taken for an empty one: a copy is kept, and the jobs that can still be
    /// read — here the one before the point where the file breaks off — are resumed.
    /// </summary>
    [Test]
    public async Task NewInstance_DamagedRegistry_KeepsACopyAndResumesWhatCanBeRead()
    {
        var first = NewService();
        var kept = first.Submit(Job("kept.csv") with { Id = "kept" });
        first.Submit(Job("lost.csv") with { Id = "lost" });
        first.Dispose();
        _services.Remove(first);
        var registryPath = Path.Combine(_store.StateDirectory, "jobs.json");
        var text = File.ReadAllText(registryPath);
        var cut = text[..(text.IndexOf("},{\"spec\"", StringComparison.Ordinal) + 20)];
        File.WriteAllText(registryPath, cut);

        var second = await StartAsync();
        await Wait.UntilAsync(() => second.Get("kept")?.State == BatchJobStates.Completed, "the readable job ran");

        Assert.That(second.List().Select(j => j.Id), Is.EqualTo(new[] { kept.Id }));
        var copy = Directory.GetFiles(_store.StateDirectory, "jobs.json.*.bad").Single();
        Assert.That(File.ReadAllText(copy), Is.EqualTo(cut));
        Assert.That(File.ReadAllText(registryPath), Does.Contain("\"kept\"").And.Not.Contain("lost"), "the registry is whole again");
    }

    /// <summary>A registry that is not JSON at all is kept as a copy; the service starts empty and takes new jobs.</summary>
    [Test]
    public async Task NewInstance_RegistryNotJson_KeepsACopyAndStartsEmpty()
    {
        Directory.CreateDirectory(_store.StateDirectory);
        File.WriteAllText(Path.Combine(_store.StateDirectory, "jobs.json"), "not json at all");

        var service = await StartAsync();
        var job = service.Submit(Job("new.csv"));
        await Wait.UntilAsync(() => service.Get(job.Id)!.State == BatchJobStates.Completed, "a new job runs");

        Assert.That(File.ReadAllText(Directory.GetFiles(_store.StateDirectory, "jobs.json.*.bad").Single()), Is.EqualTo("not json at all"));
        Assert.That(service.List(), Has.Count.EqualTo(1));
    }

    /// <summary>
    /// Cancel is recorded before the run is told: a host that dies right after Cancel returned (its registry as it was
    /// then) does not resume the job at its next start; the job ends cancelled and its event is recorded.
    /// </summary>
    [Test]
    public async Task Cancel_HostDiesRightAfter_JobIsNotResumed()
    {
        using var hold = new ManualResetEventSlim();
        _input.BeforeRow = (index, token) => { if (index == 10) { hold.Wait(token); } };
        var first = await StartAsync();
        first.Submit(Job("held.csv") with { Id = "held" });
        await Wait.UntilAsync(() => _input.RowsRead == 10, "the job runs and waits at row 10");
        var registryPath = Path.Combine(_store.StateDirectory, "jobs.json");

        Assert.That(first.Cancel("held"), Is.True);
        var atCancel = File.ReadAllBytes(registryPath);
        await Wait.UntilAsync(() => first.Get("held")!.State == BatchJobStates.Cancelled, "the job is cancelled");
        await first.StopAsync(CancellationToken.None);
        first.Dispose();
        _services.Remove(first);
        foreach (var spooled in Directory.GetFiles(_store.Spool))
        {
            File.Delete(spooled);
        }

        // What the disk held had the host been killed right after Cancel returned.
        File.WriteAllBytes(registryPath, atCancel);
        _input.BeforeRow = null;
        _input.ResetCount();
        var second = await StartAsync();

        var status = second.Get("held")!;
        Assert.That(status.State, Is.EqualTo(BatchJobStates.Cancelled));
        var events = Directory.GetFiles(_store.Spool, "*.json").Select(f => JsonSerializer.Deserialize(File.ReadAllText(f), ContractsJsonContext.Default.BatchJobStatus)!).ToList();
        Assert.That(events.Select(e => (e.Id, e.State)), Is.EqualTo(new[] { ("held", BatchJobStates.Cancelled) }));
    }

    /// <summary>
    /// A schedule whose output would be the same file for every run (possible only without the options validator,
    /// which refuses it at start) is skipped, while a schedule that names its runs apart keeps running.
    /// </summary>
    [Test]
    public async Task Schedule_OutputSharedByItsRuns_IsSkipped()
    {
        var options = new BatchOptions
        {
            Parallelism = 1,
            Schedules =
            {
                ["fixed"] = new BatchScheduleOptions { Cron = "*/1 * * * * *", Model = "demo", Input = "rows.test", Output = "scheduled/fixed.csv" },
                ["dated"] = new BatchScheduleOptions { Cron = "*/1 * * * * *", Model = "demo", Input = "rows.test", Output = "scheduled/{name}-{date}-{time}.csv" },
            },
        };
        var service = await StartAsync(options);

        await Wait.UntilAsync(() => service.List().Count(j => j.Trigger == "schedule:dated" && j.State == BatchJobStates.Completed) >= 2, "two runs of the dated schedule completed");

        Assert.That(service.List().Where(j => j.Trigger == "schedule:fixed"), Is.Empty);
        Assert.That(File.Exists(Path.Combine(_store.BatchDirectory, "scheduled", "fixed.csv")), Is.False);
    }

    /// <summary>A batch size past the maximum is refused when the job is submitted, not after it waited in the queue.</summary>
    [Test]
    public async Task Submit_BatchSizeTooLarge_RefusedAtOnce()
    {
        var service = await StartAsync();

        var refused = Assert.Throws<BatchJobException>(() => service.Submit(Job("big.csv") with { BatchSize = 5000 }));

        Assert.That(refused!.Message, Is.EqualTo("batch_size must be 1–4096, not 5000"));
        Assert.That(service.List(), Is.Empty);
    }

    private static List<BatchJobStatus> Finished(TelemetryStore telemetry) =>
        [.. telemetry.Read(0, 100)
            .Where(r => r.Type == TelemetryRecordTypes.BatchJobFinished && r.Kind == TelemetryKind.Event)
            .Select(r => JsonSerializer.Deserialize(r.Payload, ContractsJsonContext.Default.BatchJobStatus)!)];

    private static BatchOptions Nightly(bool catchUp) => new()
    {
        Parallelism = 1,
        Schedules =
        {
            ["nightly"] = new BatchScheduleOptions { Cron = "0 2 * * *", Model = "demo", Input = "rows.test", Output = "scheduled/{name}-{date}.csv", CatchUp = catchUp },
        },
    };

    /// <summary>Starts a service that watches the schedules from the clock's time, stops it, and starts another three days later.</summary>
    private async Task<BatchJobService> RestartAfterThreeDaysAsync(BatchOptions options, ManualTimeProvider clock)
    {
        var first = await StartAsync(options, time: clock);
        await Wait.UntilAsync(() => Watched().ContainsKey("nightly"), "the first start recorded when it began watching");
        Assert.That(Scheduled(first), Is.Empty, "nothing was due while the first service ran");
        await StopAsync(first);

        clock.Advance(TimeSpan.FromDays(3));
        return await StartAsync(options, time: clock);
    }

    private static List<BatchJobStatus> Scheduled(BatchJobService service) =>
        [.. service.List().Where(j => j.Trigger == "schedule:nightly")];

    private string WatchedPath => Path.Combine(_store.DataPath, "batch-state", "schedules.json");

    private Dictionary<string, long> Watched() =>
        File.Exists(WatchedPath) ? JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(WatchedPath)) ?? [] : [];

    private void WriteWatched(Dictionary<string, long> watched)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(WatchedPath)!);
        File.WriteAllText(WatchedPath, JsonSerializer.Serialize(watched));
    }

    private async Task StopAsync(BatchJobService service)
    {
        await service.StopAsync(CancellationToken.None);
        service.Dispose();
        _services.Remove(service);
    }

    private static BatchJobSpec Job(string output) => new()
    {
        Model = "demo",
        Input = new BatchInputOptions { Path = "rows.test" },
        Output = output,
        Trigger = "api",
    };

    private BatchJobService NewService(BatchOptions? options = null, TelemetryRecorder? recorder = null, DeviceMetrics? metrics = null, TestInput? input = null, TimeProvider? time = null)
    {
        var source = input ?? _input;
        var service = new BatchJobService(
            _store.Runtime,
            options ?? new BatchOptions { Parallelism = 1 },
            new DeviceProfile(),
            NullLoggerFactory.Instance,
            recorder,
            metrics,
            time,
            openInput: (_, _, _) => source);
        _services.Add(service);
        return service;
    }

    private async Task<BatchJobService> StartAsync(BatchOptions? options = null, TelemetryRecorder? recorder = null, DeviceMetrics? metrics = null, TestInput? input = null, TimeProvider? time = null)
    {
        var service = NewService(options, recorder, metrics, input, time);
        await service.StartAsync(CancellationToken.None);
        return service;
    }
}
