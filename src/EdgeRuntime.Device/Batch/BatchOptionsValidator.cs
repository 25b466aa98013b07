using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Batch;

/// <summary>Refuses batch settings that cannot work, with the setting's full name in the message.</summary>
internal sealed class BatchOptionsValidator : IValidateOptions<BatchOptions>
{
    public ValidateOptionsResult Validate(string? name, BatchOptions options)
    {
        const string Section = BatchOptions.SectionName;
        var failures = new List<string>();
        if (options.CoreShare is not (> 0 and <= 1))
        {
            failures.Add($"{Section}:CoreShare must be above 0 and at most 1 (a share of the cores), not {options.CoreShare}");
        }

        if (options.Nice is < 0 or > 19)
        {
            failures.Add($"{Section}:Nice must be 0–19 (0 is online serving's priority, 19 the lowest), not {options.Nice}");
        }

        if (options.MaxConcurrentJobs < 1)
        {
            failures.Add($"{Section}:MaxConcurrentJobs must be at least 1, not {options.MaxConcurrentJobs}");
        }

        if (options.Parallelism < 0)
        {
            failures.Add($"{Section}:Parallelism must be 0 (derived from the cores) or more, not {options.Parallelism}");
        }

        if (options.ProgressSeconds < 1)
        {
            failures.Add($"{Section}:ProgressSeconds must be at least 1, not {options.ProgressSeconds}");
        }

        foreach (var (scheduleName, schedule) in options.Schedules)
        {
            var prefix = $"{Section}:Schedules:{scheduleName}";
            try
            {
                var parsed = BatchSchedule.Parse(scheduleName, schedule);
                if (!string.IsNullOrWhiteSpace(schedule.Output) && parsed.OutputCollision(DateTimeOffset.UtcNow) is { } collision)
                {
                    failures.Add($"{prefix}:Output {collision}");
                }
            }
            catch (FormatException ex)
            {
                failures.Add($"{prefix}:Cron: {ex.Message}");
            }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                failures.Add($"{prefix}:TimeZone '{schedule.TimeZone}' is not a time zone this device knows (use an IANA id such as Europe/Berlin)");
            }

            if (string.IsNullOrWhiteSpace(schedule.Model) || string.IsNullOrWhiteSpace(schedule.Input) || string.IsNullOrWhiteSpace(schedule.Output))
            {
                failures.Add($"{prefix} needs Model, Input and Output");
            }

            if (schedule.BatchSize is < 1 or > BatchJobRunner.MaxBatchSize)
            {
                failures.Add($"{prefix}:BatchSize must be 1–{BatchJobRunner.MaxBatchSize}, not {schedule.BatchSize}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
