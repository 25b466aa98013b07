namespace EdgeRuntime.Device.Batch;

/// <summary>
/// The files one job reads and writes: its input, its output, its job database (the output itself for SQLite output,
/// <c>&lt;output&gt;.job.db</c> beside a CSV/JSONL one) with SQLite's companion files, and the lock a run holds.
/// </summary>
internal sealed record BatchJobFiles(string Input, string Output, string Format, string Database)
{
    /// <summary>The files SQLite keeps beside a database while it is open or after a crash.</summary>
    public static readonly string[] DatabaseCompanions = ["-wal", "-shm", "-journal"];

    /// <summary>Held exclusively for the length of a run, so that two processes never run the same job at once.</summary>
    public string Lock => Database + ".lock";

    /// <summary>Every file the job writes: the output, its job database with its companions, and the lock.</summary>
    public IEnumerable<string> Written =>
        new[] { Output, Database }.Concat(DatabaseCompanions.Select(suffix => Database + suffix)).Append(Lock).Distinct(StringComparer.Ordinal);

    /// <summary>The job's files, from its absolute or relative (to the working directory) paths.</summary>
    /// <exception cref="BatchJobException">An unknown output format.</exception>
    public static BatchJobFiles Of(BatchJobSpec spec)
    {
        var output = Path.GetFullPath(spec.Output);
        var format = BatchOutput.FormatOf(spec.OutputFormat, output);
        return new BatchJobFiles(Path.GetFullPath(spec.Input.Path), output, format, format == BatchOutput.Sqlite ? output : output + ".job.db");
    }
}
