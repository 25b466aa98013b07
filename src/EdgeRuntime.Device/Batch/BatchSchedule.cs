using System.Globalization;
using Cronos;

namespace EdgeRuntime.Device.Batch;

/// <summary>A configured schedule, parsed: its cron expression (5 fields, or 6 with seconds) read in its time zone.</summary>
internal sealed record BatchSchedule(string Name, CronExpression Cron, TimeZoneInfo Zone, BatchScheduleOptions Options)
{
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
