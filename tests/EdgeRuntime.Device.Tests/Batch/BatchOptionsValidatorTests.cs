using EdgeRuntime.Device.Batch;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>Batch settings that cannot work are refused at start, naming the setting.</summary>
public sealed class BatchOptionsValidatorTests
{
    /// <summary>The defaults and a valid schedule pass.</summary>
    [Test]
    public void Validate_DefaultsAndAValidSchedule_Succeed()
    {
        var options = new BatchOptions
        {
            Schedules =
            {
                ["nightly"] = new BatchScheduleOptions { Cron = "0 2 * * *", TimeZone = "UTC", Model = "demo", Input = "readings.csv", Output = "scores-{date}.db" },
                ["often"] = new BatchScheduleOptions { Cron = "*/30 * * * * *", Model = "demo", Input = "readings.csv", Output = "often-{date}-{time}.csv" },
            },
        };

        Assert.That(new BatchOptionsValidator().Validate(null, new BatchOptions()).Succeeded, Is.True);
        Assert.That(new BatchOptionsValidator().Validate(null, options).Succeeded, Is.True);
    }

    /// <summary>Each out-of-range value and each broken schedule is named in the failure.</summary>
    [Test]
    public void Validate_BadValues_NameEachSetting()
    {
        var options = new BatchOptions
        {
            CoreShare = 0,
            Nice = 20,
            MaxConcurrentJobs = 0,
            Parallelism = -1,
            ProgressSeconds = 0,
            Schedules =
            {
                ["cron"] = new BatchScheduleOptions { Cron = "every night", Model = "demo", Input = "a.csv", Output = "b.db" },
                ["zone"] = new BatchScheduleOptions { Cron = "0 2 * * *", TimeZone = "Mars/Olympus_Mons", Model = "demo", Input = "a.csv", Output = "b.db" },
                ["empty"] = new BatchScheduleOptions { Cron = "0 2 * * *" },
            },
        };

        var result = new BatchOptionsValidator().Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:CoreShare"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Nice"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:MaxConcurrentJobs"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Parallelism"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:ProgressSeconds"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Schedules:cron:Cron: cron 'every night'"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Schedules:zone:TimeZone 'Mars/Olympus_Mons'"));
        Assert.That(result.Failures, Has.Some.EqualTo("EdgeRuntime:Batch:Schedules:empty needs Model, Input and Output"));
    }

    /// <summary>
    /// A schedule's output must tell its runs apart — every run is a new job, and one whose output holds an earlier
    /// run's results is refused — so the failure names the schedule and what to add; its batch size is capped too.
    /// </summary>
    [Test]
    public void Validate_ScheduleRunsSharingAnOutput_NameTheScheduleAndWhatToAdd()
    {
        var options = new BatchOptions
        {
            Schedules =
            {
                ["fixed"] = new BatchScheduleOptions { Cron = "0 2 * * *", Model = "demo", Input = "a.csv", Output = "scores.db" },
                ["hourly"] = new BatchScheduleOptions { Cron = "0 * * * *", Model = "demo", Input = "a.csv", Output = "scores-{date}.db" },
                ["timed"] = new BatchScheduleOptions { Cron = "0 2 * * *", Model = "demo", Input = "a.csv", Output = "scores-{time}.db" },
                ["nightly"] = new BatchScheduleOptions { Cron = "0 2 * * *", Model = "demo", Input = "a.csv", Output = "{name}/{date}.db", BatchSize = 5000 },
            },
        };

        var result = new BatchOptionsValidator().Validate(null, options);

        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Schedules:fixed:Output 'scores.db' holds neither {date} nor {time}"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Schedules:hourly:Output 'scores-{date}.db' gives the runs at").And.EndsWith("add {time}"));
        Assert.That(result.Failures, Has.Some.StartsWith("EdgeRuntime:Batch:Schedules:timed:Output 'scores-{time}.db' gives the runs at").And.EndsWith("add {date}"));
        Assert.That(result.Failures, Has.Some.EqualTo("EdgeRuntime:Batch:Schedules:nightly:BatchSize must be 1–4096, not 5000"));
        Assert.That(result.Failures!.Where(f => f.Contains(":nightly:Output", StringComparison.Ordinal)), Is.Empty, "a nightly schedule needs only {date}");
    }
}
