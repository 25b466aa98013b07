using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Host.Commands;

namespace EdgeRuntime.Host.Tests.Commands;

/// <summary>The lines <c>edge-runtime batch</c> prints when stderr is not a terminal, and its summary, as a log reader sees them.</summary>
public sealed class BatchProgressDisplayTests
{
    private static readonly BatchJobStatus Running = new()
    {
        Id = "job-1",
        State = BatchJobStates.Running,
        Trigger = "cli",
        Model = "demo",
        Version = "1",
        Input = "/data/readings.csv",
        Output = "/data/results.db",
        RowsTotal = 5000,
        RowsSucceeded = 1197,
        RowsFailed = 3,
        RowsPerSecond = 850.4,
        EtaSeconds = 3.8,
        BatchSize = 16,
        Parallelism = 2,
        DurationMs = 1411,
    };

    /// <summary>Counts, percentage, errors, rate and time left, in one line.</summary>
    [Test]
    public void ProgressLine_KnownTotal_ShowsShareRateAndEta() =>
        Assert.That(BatchProgressDisplay.ProgressLine(Running), Is.EqualTo("batch job-1: 1200/5000 rows (24.0 %), 3 errors, 850 rows/s, ETA 4 s"));

    /// <summary>Without a total (a JSONL file not read to its end) there is no share and no time left.</summary>
    [Test]
    public void ProgressLine_UnknownTotal_ShowsCountAndRate() =>
        Assert.That(BatchProgressDisplay.ProgressLine(Running with { RowsTotal = null, EtaSeconds = null, RowsPerSecond = 4.25 }), Is.EqualTo("batch job-1: 1200 rows, 3 errors, 4.3 rows/s"));

    /// <summary>The summary says what ran on what, how much, how fast and where the results are; a resumed job says so.</summary>
    [Test]
    public void Summary_CompletedJob_NamesRowsModelAndOutput()
    {
        var completed = Running with { State = BatchJobStates.Completed, RowsSucceeded = 4997, RowsFailed = 3, RowsPerSecond = 820, DurationMs = 6100, EtaSeconds = null };

        Assert.Multiple(() =>
        {
            Assert.That(BatchProgressDisplay.Summary(completed), Is.EqualTo("completed job-1: 5000 rows (4997 results, 3 errors) in 6.1 s, 820 rows/s, model demo version 1 -> /data/results.db"));
            Assert.That(BatchProgressDisplay.Summary(completed with { RowsResumed = 2000 }), Does.Contain("(4997 results, 3 errors, 2000 done by an earlier run)"));
        });
    }

    /// <summary>Time left reads in the largest sensible units.</summary>
    [TestCase(0.2, "1 s")]
    [TestCase(59, "59 s")]
    [TestCase(200, "3 min 20 s")]
    [TestCase(7500, "2 h 05 min")]
    public void Duration_Seconds_ReadsInSensibleUnits(double seconds, string text) =>
        Assert.That(BatchProgressDisplay.Duration(seconds), Is.EqualTo(text));
}
