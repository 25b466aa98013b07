using System.Diagnostics.Tracing;
using System.Globalization;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Tests.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>
/// The lowered priority of a job's threads stays on those threads. On Linux a new thread inherits the nice value of
/// the thread that creates it, and the thread pool may create a worker on the thread that queues work, so a batch
/// thread that completed a task, cancelled a token with callbacks or queued work could leave a pool thread at nice 10
/// that then serves online requests for the rest of the process's life.
/// </summary>
[NonParallelizable]
public sealed class BatchPipelineTests
{
    private BatchTestStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _store = new BatchTestStore();
        _store.AddDemo();
    }

    [TearDown]
    public void TearDown() => _store.Dispose();

    /// <summary>
    /// Jobs that complete, report progress, are cancelled, stop at a broken input or are stopped with the host leave no
    /// thread but their own edge-batch threads below nice 0 — while the thread pool is kept short of idle threads, so
    /// that any work a batch thread queued would start a new pool thread right there, on the batch thread.
    /// </summary>
    [Test]
    public async Task Jobs_ProgressCancellationAndFailures_LeaveEveryOtherThreadAtNiceZero()
    {
        Assume.That(OperatingSystem.IsLinux(), "nice values are per thread and read from /proc on Linux");
        Assume.That(OtherNicedThreads(), Is.Empty, "the process had niced threads before this test");
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        var load = new PoolLoad();
        using var queued = new QueuedByBatchThreads();
        ThreadPool.SetMinThreads(minWorkers + 64, minIo);
        try
        {
            load.Start(Environment.ProcessorCount * 4);
            await RunJobsAsync();
        }
        finally
        {
            load.Dispose();
            ThreadPool.SetMinThreads(minWorkers, minIo);
        }

        Assert.That(queued.Threads, Is.Empty, "batch threads that queued work to the thread pool");
        Assert.That(OtherNicedThreads(), Is.Empty, "threads (name: nice) that are not batch threads but run below nice 0");
    }

    private async Task RunJobsAsync()
    {
        using var hold = new ManualResetEventSlim();
        var rows = TestInput.DemoRows(200);
        rows[17] = TestRow.Shaped("row-17", [1, 2, 3], [1, 3]);
        var inputs = new Dictionary<string, TestInput>(StringComparer.Ordinal)
        {
            ["done.test"] = new(rows),
            ["broken.test"] = new(rows) { FailAt = 120 },
            ["held.test"] = new(rows) { BeforeRow = (index, token) => { if (index == 50) { hold.Wait(token); } } },
            ["stopped.test"] = new(rows) { BeforeRow = (index, token) => { if (index == 60) { hold.Wait(token); } } },
        };
        var options = new BatchOptions { Nice = 10, Parallelism = 2, MaxConcurrentJobs = 4 };
        var service = new BatchJobService(_store.Runtime, options, new DeviceProfile(), NullLoggerFactory.Instance, null, null, null, (input, _, _) => inputs[Path.GetFileName(input.Path)]);
        await service.StartAsync(CancellationToken.None);
        try
        {
            foreach (var name in inputs.Keys)
            {
                service.Submit(new BatchJobSpec { Id = name, Model = "demo", Input = new BatchInputOptions { Path = name }, Output = name + ".db", BatchSize = 4, Trigger = "api" });
            }

            await Wait.UntilAsync(() => inputs["held.test"].RowsRead >= 50 && inputs["stopped.test"].RowsRead >= 60, "the held jobs wait");
            await Wait.UntilAsync(() => service.Get("done.test")!.State == BatchJobStates.Completed && service.Get("broken.test")!.State == BatchJobStates.Failed, "the others ended");
            Assert.That(service.Cancel("held.test"), Is.True);
            await Wait.UntilAsync(() => service.Get("held.test")!.State == BatchJobStates.Cancelled, "the held job is cancelled");

            // A standalone run with its own progress handler and a cancellation from outside.
            using var cancellation = new CancellationTokenSource();
            var reports = 0;
            var standalone = new TestInput(rows) { BeforeRow = (index, token) => { if (index == 90) { hold.Wait(token); } } };
            var running = _store.Runner(standalone, new BatchOptions { Nice = 10 }).RunAsync(_store.Spec("standalone.db", batchSize: 4), new Progress(() => Interlocked.Increment(ref reports)), cancellation.Token);
            await Wait.UntilAsync(() => standalone.RowsRead >= 90 && Volatile.Read(ref reports) > 0, "the standalone job reported progress and waits");
            cancellation.Cancel();
            Assert.That((await running).State, Is.EqualTo(BatchJobStates.Cancelled));
        }
        finally
        {
            // The stopped job is cancelled by the host stopping, and kept to resume.
            await service.StopAsync(CancellationToken.None);
            service.Dispose();
            hold.Set();
        }
    }

    /// <summary>
    /// Threads of this process not named edge-batch-* whose nice value (field 19 of their stat) is not 0 or whose
    /// scheduling policy (field 41) is not SCHED_OTHER.
    /// </summary>
    private static List<string> OtherNicedThreads()
    {
        var niced = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (name.StartsWith("edge-batch", StringComparison.Ordinal))
                {
                    continue;
                }

                // The name sits in parentheses and may hold spaces: count the fields after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var nice = int.Parse(fields[19 - 3], CultureInfo.InvariantCulture);
                var policy = int.Parse(fields[41 - 3], CultureInfo.InvariantCulture);
                if (nice != 0 || policy != 0)
                {
                    niced.Add($"{name}: nice {nice}, policy {policy}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended while being read.
            }
        }

        return niced;
    }

    /// <summary>Keeps pool threads busy, as online requests do, so that queued work tends to need a new pool thread.</summary>
    private sealed class PoolLoad : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _tasks = [];

        public void Start(int count)
        {
            for (var i = 0; i < count; i++)
            {
                _tasks.Add(Task.Run(() =>
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        Thread.Sleep(5);
                    }
                }));
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            Task.WaitAll([.. _tasks]);
            _stop.Dispose();
        }
    }

    /// <summary>
    /// Names the batch threads that queue work to the thread pool: the runtime's own event source reports each work item
    /// queued, synchronously on the thread that queues it. Whether such a queue makes a new pool thread right there
    /// depends on the pool's state at that instant; the queue itself is the mistake.
    /// </summary>
    private sealed class QueuedByBatchThreads : EventListener
    {
        private const EventKeywords ThreadPoolKeyword = (EventKeywords)0x0002;
        private const EventKeywords ThreadTransferKeyword = (EventKeywords)0x0010;
        private readonly HashSet<string> _threads = new(StringComparer.Ordinal);

        public List<string> Threads
        {
            get
            {
                lock (_threads)
                {
                    return [.. _threads];
                }
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Diagnostics.Eventing.FrameworkEventSource")
            {
                EnableEvents(eventSource, EventLevel.Verbose, ThreadPoolKeyword | ThreadTransferKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("ThreadPoolEnqueue", StringComparison.Ordinal) == true
                && Thread.CurrentThread.Name is { } name
                && name.StartsWith("edge-batch", StringComparison.Ordinal))
            {
                lock (_threads)
                {
                    _threads.Add(name);
                }
            }
        }
    }

    /// <summary>Counts reports, synchronously.</summary>
    private sealed class Progress(Action onReport) : IProgress<BatchJobStatus>
    {
        public void Report(BatchJobStatus value) => onReport();
    }
}
