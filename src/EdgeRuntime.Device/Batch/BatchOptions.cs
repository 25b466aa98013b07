namespace EdgeRuntime.Device.Batch;

/// <summary>Batch job settings, from <c>EdgeRuntime:Batch</c>.</summary>
public sealed class BatchOptions
{
    public const string SectionName = "EdgeRuntime:Batch";

    /// <summary>The share of the device's cores a job may use while the host serves (0–1]; default 0.5.</summary>
    public double CoreShare { get; set; } = 0.5;

    /// <summary>
    /// Workers per job; 0 (default) derives it: all cores standalone, <see cref="CoreShare"/> of them in the host. In the
    /// host a job never gets more than its part of the core share (see <see cref="MaxConcurrentJobs"/>), whatever this
    /// or the job asks for.
    /// </summary>
    public int Parallelism { get; set; }

    /// <summary>The nice value (0–19) of the threads that run batch inference; default 10, below online serving's 0.</summary>
    public int Nice { get; set; } = 10;

    /// <summary>
    /// On Linux, also run the batch threads under <c>SCHED_IDLE</c> (default): they get a core only when no other thread
    /// wants it, so a request thread that wakes up takes the core at once instead of waiting out a time slice.
    /// </summary>
    public bool IdleScheduling { get; set; } = true;

    /// <summary>
    /// Jobs the host runs at once; more wait queued. Default 1. The core share is split between them: each job gets at
    /// most floor(floor(cores × <see cref="CoreShare"/>) / this) workers, at least one.
    /// </summary>
    public int MaxConcurrentJobs { get; set; } = 1;

    /// <summary>Seconds between progress lines when the output is not a terminal; default 10.</summary>
    public int ProgressSeconds { get; set; } = 10;

    /// <summary>
    /// Folders that jobs submitted through the local API, the hub or a schedule may read and write; relative ones are
    /// under the data directory. Default: the data directory's <c>batch</c> folder.
    /// </summary>
    public List<string> AllowedRoots { get; set; } = [];

    /// <summary>Jobs the host starts on a cron schedule, by name.</summary>
    public Dictionary<string, BatchScheduleOptions> Schedules { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A scheduled batch job (<c>EdgeRuntime:Batch:Schedules:&lt;name&gt;</c>). <see cref="Output"/> must hold <c>{date}</c>
/// (yyyyMMdd) — and <c>{time}</c> (HHmmss) when the schedule runs more than once a day — and may hold <c>{name}</c>,
/// filled from the occurrence, so each run writes its own results.
/// </summary>
public sealed class BatchScheduleOptions
{
    /// <summary>A cron expression (5 fields, or 6 with seconds), e.g. <c>0 2 * * *</c> for 02:00 every night.</summary>
    public string Cron { get; set; } = "";

    /// <summary>The time zone the expression is read in (IANA id); default UTC.</summary>
    public string? TimeZone { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether the host, when it starts, runs the latest occurrence it missed while it was down (once, however many it
    /// missed), as a device that was off at 02:00 still scores the night's table when it is back.
    /// </summary>
    public bool CatchUp { get; set; } = true;

    public string Model { get; set; } = "";

    public string? Version { get; set; }

    public string Input { get; set; } = "";

    public string? Format { get; set; }

    public string? Tensor { get; set; }

    public string? Table { get; set; }

    public string? Key { get; set; }

    public List<string>? Columns { get; set; }

    /// <summary>Where each run writes; must tell the runs apart with <c>{date}</c> and, if needed, <c>{time}</c>.</summary>
    public string Output { get; set; } = "";

    public string? OutputFormat { get; set; }

    public int? BatchSize { get; set; }
}
