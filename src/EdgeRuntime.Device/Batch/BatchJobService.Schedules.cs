using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Deployment;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Batch;

public sealed partial class BatchJobService
{
    /// <summary>The longest single wait, so that a far-off occurrence does not overflow a timer.</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    /// <summary>
    /// Submits each enabled schedule's job at each occurrence (<see cref="BatchSchedule.SpecFor"/>). An occurrence whose
    /// previous job from the same schedule has not finished is skipped. At the start, a schedule with
    /// <see cref="BatchScheduleOptions.CatchUp"/> runs the latest occurrence it missed since the host last watched it
    /// (<c>&lt;data&gt;/batch-state/schedules.json</c>); one the host never watched before starts from now.
    /// </summary>
    private async Task RunSchedulesAsync(CancellationToken cancellationToken)
    {
        var schedules = new List<BatchSchedule>();
        foreach (var (name, options) in _options.Schedules.Where(s => s.Value.Enabled))
        {
            try
            {
                var schedule = BatchSchedule.Parse(name, options);
                if (schedule.OutputCollision(_time.GetUtcNow()) is { } collision)
                {
                    // The options validator refuses this at start too: runs after the first would fail on the first one's output.
                    LogScheduleInvalid(_logger, name, "Output " + collision);
                    continue;
                }

                schedules.Add(schedule);
            }
            catch (Exception ex) when (ex is FormatException or TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                // The options validator refuses these at start; a service built without it skips the schedule.
                LogScheduleInvalid(_logger, name, ex.Message);
            }
        }

        if (schedules.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        var watched = ReadWatched();
        var handled = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var schedule in schedules)
        {
            // A job of the schedule that the restart resumed counts as its previous one, still running.
            if (List().FirstOrDefault(j => j.Trigger == schedule.Trigger && !BatchJobStates.IsFinished(j.State)) is { } resumed)
            {
                last[schedule.Name] = resumed.Id;
            }

            var known = watched.TryGetValue(schedule.Name, out var since);
            if (known && schedule.Options.CatchUp && schedule.LatestBetween(DateTimeOffset.FromUnixTimeMilliseconds(since), now) is { } missed)
            {
                LogCatchingUp(_logger, schedule.Name, missed);
                Fire(schedule, missed, last);
            }

            // A clock set back at this start must not make occurrences that already ran look missed at the next one.
            handled[schedule.Name] = known ? Math.Max(since, now.ToUnixTimeMilliseconds()) : now.ToUnixTimeMilliseconds();
        }

        WriteWatched(handled);
        var next = schedules.ToDictionary(s => s.Name, s => s.Next(now), StringComparer.Ordinal);
        while (true)
        {
            var due = next.Values.OfType<DateTimeOffset>().Order().FirstOrDefault();
            if (due == default)
            {
                return;
            }

            var wait = due - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait < MaxWait ? wait : MaxWait, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            now = _time.GetUtcNow();
            foreach (var schedule in schedules)
            {
                if (next[schedule.Name] is { } occurrence && occurrence <= now)
                {
                    Fire(schedule, occurrence, last);
                    next[schedule.Name] = schedule.Next(now);
                    handled[schedule.Name] = occurrence.ToUnixTimeMilliseconds();
                    WriteWatched(handled);
                }
            }
        }
    }

    private string WatchedPath => Path.Combine(_paths.StateDirectory, "schedules.json");

    /// <summary>Per schedule, the time up to which the host has handled its occurrences (Unix ms); empty when unknown.</summary>
    private Dictionary<string, long> ReadWatched()
    {
        try
        {
            var watched = DurableFile.Read(WatchedPath, BatchJsonContext.Default.DictionaryStringInt64);
            if (watched is null && File.Exists(WatchedPath))
            {
                LogWatchedUnavailable(_logger, WatchedPath, "it is not a JSON object of schedule names and times");
            }

            // A value no date can have (a file written by something else) is dropped, as an unknown schedule is.
            var min = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
            var max = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
            return (watched ?? []).Where(w => w.Value >= min && w.Value <= max).ToDictionary(StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogWatchedUnavailable(_logger, WatchedPath, ex.Message);
            return [];
        }
    }

    private void WriteWatched(Dictionary<string, long> handled)
    {
        try
        {
            Directory.CreateDirectory(_paths.StateDirectory);
            DurableFile.Write(WatchedPath, handled, BatchJsonContext.Default.DictionaryStringInt64);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only catching up after a restart depends on it; the schedules themselves go on.
            LogWatchedUnavailable(_logger, WatchedPath, ex.Message);
        }
    }

    private void Fire(BatchSchedule schedule, DateTimeOffset occurrence, Dictionary<string, string> last)
    {
        var spec = schedule.SpecFor(occurrence);
        if (Get(spec.Id!) is { } ran)
        {
            // This occurrence's job exists already (a host that fired it and died before noting so, a clock set back):
            // submitting it again would resume or redo it.
            LogScheduleAlreadyRan(_logger, schedule.Name, occurrence, spec.Id!, ran.State);
            return;
        }

        if (last.TryGetValue(schedule.Name, out var previous) && Get(previous) is { } status && !BatchJobStates.IsFinished(status.State))
        {
            LogScheduleSkipped(_logger, schedule.Name, occurrence, previous, status.State);
            return;
        }

        try
        {
            var submitted = Submit(spec);
            last[schedule.Name] = submitted.Id;
        }
        catch (BatchJobException ex)
        {
            LogScheduleRefused(_logger, schedule.Name, occurrence, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1839, Level = LogLevel.Information, Message = "Batch schedule {Schedule}: running the occurrence at {Occurrence}, missed while the host was down")]
    private static partial void LogCatchingUp(ILogger logger, string schedule, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 1840, Level = LogLevel.Warning, Message = "Batch schedules: {Path} cannot be read or written, so occurrences missed while the host is down may not be caught up: {Reason}")]
    private static partial void LogWatchedUnavailable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1841, Level = LogLevel.Information, Message = "Batch schedule {Schedule}: the run at {Occurrence} is job {Job}, which exists already ({State}); not submitted again")]
    private static partial void LogScheduleAlreadyRan(ILogger logger, string schedule, DateTimeOffset occurrence, string job, string state);

    [LoggerMessage(EventId = 1826, Level = LogLevel.Information, Message = "Batch schedule {Schedule}: skipping the run at {Occurrence}, its previous job {Job} is still {State}")]
    private static partial void LogScheduleSkipped(ILogger logger, string schedule, DateTimeOffset occurrence, string job, string state);

    [LoggerMessage(EventId = 1828, Level = LogLevel.Error, Message = "Batch schedule {Schedule} is invalid and does not run: {Reason}")]
    private static partial void LogScheduleInvalid(ILogger logger, string schedule, string reason);

    [LoggerMessage(EventId = 1827, Level = LogLevel.Warning, Message = "Batch schedule {Schedule}: the job for {Occurrence} was refused: {Reason}")]
    private static partial void LogScheduleRefused(ILogger logger, string schedule, DateTimeOffset occurrence, string reason);
}
