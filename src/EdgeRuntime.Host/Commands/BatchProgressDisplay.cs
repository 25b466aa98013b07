using System.Diagnostics;
using System.Globalization;
using EdgeRuntime.Contracts.Batch;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// Shows a batch job's progress on stderr while it runs: a live bar with rate and time left on a terminal; otherwise
/// (a log file, a service's journal, a test) one plain line every few seconds, which reads well when nothing redraws.
/// </summary>
internal static class BatchProgressDisplay
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Follows <paramref name="job"/> until it ends, showing the newest status <paramref name="latest"/> gives, and
    /// returns its final status. <paramref name="terminal"/> picks the live bar; otherwise a line every <paramref name="lineInterval"/>.
    /// </summary>
    public static Task<BatchJobStatus> FollowAsync(Task<BatchJobStatus> job, Func<BatchJobStatus?> latest, TextWriter error, bool terminal, TimeSpan lineInterval) =>
        terminal ? BarAsync(job, latest, error) : LinesAsync(job, latest, error, lineInterval);

    /// <summary><c>batch job-1: 1200/5000 rows (24.0 %), 3 errors, 850 rows/s, ETA 4 s</c>; without a known total, the count and rate.</summary>
    public static string ProgressLine(BatchJobStatus status)
    {
        var done = Done(status);
        var counts = status.RowsTotal is { } total
            ? $"{done}/{total} rows ({Percent(done, total).ToString("0.0", CultureInfo.InvariantCulture)} %)"
            : $"{done} rows";
        var eta = status.EtaSeconds is { } seconds ? $", ETA {Duration(seconds)}" : "";
        return $"batch {status.Id}: {counts}, {status.RowsFailed} errors, {Rate(status.RowsPerSecond)} rows/s{eta}";
    }

    /// <summary>What the job is about to do, once its first status is known.</summary>
    public static string StartLine(BatchJobStatus status)
    {
        var resumed = status.RowsResumed > 0 ? $", resuming after {status.RowsResumed} rows done earlier" : "";
        var total = status.RowsTotal is { } rows ? $"{rows} rows" : "rows not counted yet";
        return $"batch {status.Id}: model {status.Model} version {status.Version ?? "?"}, {total}, batch size {status.BatchSize}, parallelism {status.Parallelism}{resumed}";
    }

    /// <summary><c>completed job-1: 5000 rows (4997 results, 3 errors) in 6.1 s, 820 rows/s, model demo version 1 -> results.db</c>.</summary>
    public static string Summary(BatchJobStatus status)
    {
        var resumed = status.RowsResumed > 0 ? $", {status.RowsResumed} done by an earlier run" : "";
        var seconds = (status.DurationMs / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
        return $"{status.State} {status.Id}: {Done(status)} rows ({status.RowsSucceeded} results, {status.RowsFailed} errors{resumed}) in {seconds} s, "
            + $"{Rate(status.RowsPerSecond)} rows/s, model {status.Model} version {status.Version ?? "?"} -> {status.Output}";
    }

    /// <summary><c>4 s</c>, <c>3 min 20 s</c>, <c>2 h 05 min</c>.</summary>
    public static string Duration(double seconds)
    {
        var whole = (long)Math.Ceiling(Math.Max(0, seconds));
        return whole switch
        {
            < 60 => $"{whole} s",
            < 3600 => $"{whole / 60} min {whole % 60:00} s",
            _ => $"{whole / 3600} h {whole / 60 % 60:00} min",
        };
    }

    private static async Task<BatchJobStatus> LinesAsync(Task<BatchJobStatus> job, Func<BatchJobStatus?> latest, TextWriter error, TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        var started = false;
        var next = interval;
        while (!job.IsCompleted)
        {
            await Task.WhenAny(job, Task.Delay(Tick)).ConfigureAwait(false);
            if (job.IsCompleted || latest() is not { } status)
            {
                continue;
            }

            if (!started)
            {
                started = true;
                next = clock.Elapsed + interval;
                await error.WriteLineAsync(StartLine(status)).ConfigureAwait(false);
            }
            else if (clock.Elapsed >= next)
            {
                next = clock.Elapsed + interval;
                await error.WriteLineAsync(ProgressLine(status)).ConfigureAwait(false);
            }
        }

        return await job.ConfigureAwait(false);
    }

    private static Task<BatchJobStatus> BarAsync(Task<BatchJobStatus> job, Func<BatchJobStatus?> latest, TextWriter error)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(error) });
        BatchJobStatus? shown = null;
        BatchJobStatus? Shown() => Volatile.Read(ref shown);
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new TextColumn(() => Shown() is { RowsTotal: { } total } s ? $"{Percent(Done(s), total):0} %" : ""),
                new TextColumn(() => Shown() is { } s ? $"{s.RowsFailed} errors" : ""),
                new TextColumn(() => Shown() is { } s ? $"{Rate(s.RowsPerSecond)} rows/s" : ""),
                new TextColumn(() => Shown() is { EtaSeconds: { } eta } ? $"ETA {Duration(eta)}" : ""),
                new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting", autoStart: true, maxValue: 1);
                task.IsIndeterminate = true;
                while (!job.IsCompleted)
                {
                    if (latest() is { } status)
                    {
                        Show(task, status);
                        Volatile.Write(ref shown, status);
                    }

                    await Task.WhenAny(job, Task.Delay(Tick)).ConfigureAwait(false);
                }

                var final = await job.ConfigureAwait(false);
                Volatile.Write(ref shown, final);
                Show(task, final);
                task.StopTask();
                return final;
            });
    }

    private static void Show(ProgressTask task, BatchJobStatus status)
    {
        var done = Done(status);
        if (status.RowsTotal is { } total)
        {
            task.IsIndeterminate = false;
            task.MaxValue = Math.Max(1, total);
            task.Value = done;
            task.Description = Markup.Escape($"{status.Id} {done}/{total}");
        }
        else
        {
            task.Description = Markup.Escape($"{status.Id} {done} rows");
        }
    }

    private static long Done(BatchJobStatus status) => status.RowsSucceeded + status.RowsFailed;

    private static double Percent(long done, long total) => total <= 0 ? 100 : 100.0 * done / total;

    private static string Rate(double rowsPerSecond) =>
        rowsPerSecond.ToString(rowsPerSecond < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);

    /// <summary>A column whose text is computed each time the bar redraws.</summary>
    private sealed class TextColumn(Func<string> text) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text());
    }
}
