using System.Globalization;
using Cronos;

namespace EdgeRuntime.Device.Batch;

/// <summary>A configured schedule, parsed: its cron expression (5 fields, or 6 with seconds) read in its time zone.</summary>
internal sealed record BatchSchedule(string Name, CronExpression Cron, TimeZoneInfo Zone, BatchScheduleOptions Options)
{
    /// <summary>Occurrences <see cref="OutputCollision"/> looks at: well over a year of a daily schedule.</summary>
    private const int OccurrencesChecked = 500;

    /// <summary>How far <see cref="LatestBetween"/> looks back at a time: the last stands for "all the way".</summary>
    private static readonly TimeSpan[] LookBacks = [TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(32), TimeSpan.FromDays(400), TimeSpan.MaxValue];

    /// <summary>The trigger of the jobs a schedule starts: <c>schedule:&lt;name&gt;</c>.</summary>
    public string Trigger => "schedule:" + Name;

    /// <exception cref="FormatException">The cron expression does not parse, with the reason.</exception>
    /// <exception cref="TimeZoneNotFoundException">No such time zone.</exception>
    public static BatchSchedule Parse(string name, BatchScheduleOptions options)
    {
        var fields = options.Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length;
        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(options.Cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new FormatException($"cron '{options.Cron}': {ex.Message}", ex);
        }

        var zone = string.IsNullOrWhiteSpace(options.TimeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        return new BatchSchedule(name, cron, zone, options);
    }

    /// <summary>The next occurrence after <paramref name="now"/>; null when the expression has none.</summary>
    public DateTimeOffset? Next(DateTimeOffset now) => Cron.GetNextOccurrence(now, Zone);

    /// <summary>The latest occurrence after <paramref name="after"/> and at or before <paramref name="until"/>; null when there is none.</summary>
    public DateTimeOffset? LatestBetween(DateTimeOffset after, DateTimeOffset until)
    {
        // Cron has no "previous occurrence": walk forward, from the shortest look-back that holds one, so that a schedule
        // with a seconds field and a long downtime does not walk every second of it.
        foreach (var lookBack in LookBacks)
        {
            var from = until - after > lookBack ? until - lookBack : after;
            if (Next(from) is not { } first || first > until)
            {
                if (from == after)
                {
                    return null;
                }

                continue;
            }

            var latest = first;
            while (Next(latest) is { } next && next <= until)
            {
                latest = next;
            }

            return latest;
        }

        return null;
    }

    /// <summary>
    /// Why the schedule's runs would not each write an output of their own, naming two runs that would share one; null
    /// when they do, judged over the next <see cref="OccurrencesChecked"/> occurrences after <paramref name="from"/>. Each
    /// run is a new job (its id holds the occurrence), so a run whose output holds an earlier run's results is refused.
    /// </summary>
    public string? OutputCollision(DateTimeOffset from)
    {
        var output = Options.Output;
        var hasDate = output.Contains("{date}", StringComparison.Ordinal);
        var hasTime = output.Contains("{time}", StringComparison.Ordinal);
        if (!hasDate && !hasTime)
        {
            return $"'{output}' holds neither {{date}} nor {{time}}, so every run would write the same file and every run after the first would be refused; put {{date}} in it (and {{time}} too if the schedule runs more than once a day)";
        }

        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var occurrence = from;
        for (var i = 0; i < OccurrencesChecked && Next(occurrence) is { } next; i++)
        {
            var path = SpecFor(next).Output;
            if (seen.TryGetValue(path, out var earlier))
            {
                var missing = hasTime ? "{date}" : "{time}";
                return string.Create(
                    CultureInfo.InvariantCulture,
                    $"'{output}' gives the runs at {TimeZoneInfo.ConvertTime(earlier, Zone):yyyy-MM-dd HH:mm:ss} and {TimeZoneInfo.ConvertTime(next, Zone):yyyy-MM-dd HH:mm:ss} the same output {path}; add {missing}");
            }

            seen[path] = next;
            occurrence = next;
        }

        return null;
    }

    /// <summary>
    /// The job of the occurrence at <paramref name="occurrence"/>: id <c>&lt;name&gt;-&lt;yyyyMMdd&gt;-&lt;HHmmss&gt;</c> and
    /// <c>{date}</c>, <c>{time}</c> and <c>{name}</c> in the output filled in, both in the schedule's time zone.
    /// </summary>
    public BatchJobSpec SpecFor(DateTimeOffset occurrence)
    {
        var local = TimeZoneInfo.ConvertTime(occurrence, Zone);
        var date = local.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = local.ToString("HHmmss", CultureInfo.InvariantCulture);
        return new BatchJobSpec
        {
            Id = $"{Name}-{date}-{time}",
            Model = Options.Model,
            Version = Options.Version,
            Input = new BatchInputOptions
            {
                Path = Options.Input,
                Format = Options.Format,
                Tensor = Options.Tensor,
                Table = Options.Table,
                KeyColumn = Options.Key,
                Columns = Options.Columns,
            },
            Output = Options.Output.Replace("{date}", date, StringComparison.Ordinal).Replace("{time}", time, StringComparison.Ordinal).Replace("{name}", Name, StringComparison.Ordinal),
            OutputFormat = Options.OutputFormat,
            BatchSize = Options.BatchSize,
            Trigger = Trigger,
        };
    }
}
