using EdgeRuntime.Device.Batch;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>Which missed occurrence a schedule catches up on: the latest one in a span, found without walking all of it.</summary>
[TestFixture]
public sealed class BatchScheduleTests
{
    /// <summary>The latest occurrence after the first instant and at or before the second; null when the span holds none.</summary>
    [TestCase("0 2 * * *", "2026-03-01T12:00:00Z", "2026-03-04T12:00:00Z", "2026-03-04T02:00:00Z")]
    [TestCase("0 2 * * *", "2026-03-04T07:00:00Z", "2026-03-04T12:00:00Z", null)]
    [TestCase("0 2 * * *", "2026-03-04T01:00:00Z", "2026-03-04T02:00:00Z", "2026-03-04T02:00:00Z")]
    [TestCase("0 2 * * *", "2026-03-04T02:00:00Z", "2026-03-04T03:00:00Z", null)]
    [TestCase("*/10 * * * * *", "2020-01-01T00:00:00Z", "2026-03-01T00:00:05Z", "2026-03-01T00:00:00Z")]
    [TestCase("0 0 1 1 *", "2020-06-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    [TestCase("0 0 29 2 *", "2021-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2024-02-29T00:00:00Z")]
    public void LatestBetween_GivesTheLatestOccurrenceInTheSpan(string cron, string after, string until, string? expected)
    {
        var schedule = BatchSchedule.Parse("s", new BatchScheduleOptions { Cron = cron, Model = "m", Input = "i", Output = "o-{date}-{time}" });

        var latest = schedule.LatestBetween(DateTimeOffset.Parse(after, null), DateTimeOffset.Parse(until, null));

        Assert.That(latest, Is.EqualTo(expected is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(expected, null)));
    }
}
