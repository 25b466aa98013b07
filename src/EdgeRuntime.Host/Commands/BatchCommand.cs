using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Batch;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// <c>edge-runtime batch</c>: scores a file, a table or a folder of images with a model from the device's store and
/// writes the results, here in this process (standalone, at full speed) or handed to the running host
/// (<c>--submit</c>). A job is checkpointed, so running the same command again after a failure, a kill or Ctrl+C
/// resumes it where it stopped.
/// </summary>
internal static class BatchCommand
{
    public const string Name = "batch";

    /// <summary>Some rows could not be scored; the others were.</summary>
    public const int RowErrorsExitCode = 3;

    /// <summary>The job ended without finishing (its checkpoint stays).</summary>
    public const int FailedExitCode = 1;

    public const string Usage = """
        usage: edge-runtime batch --model NAME[:VERSION] --input PATH --output PATH [options]

          --model NAME[:VERSION]  a model in the device's model store (where --data / --models or the host's settings put
                                  it); without a version, the version the device serves (rollout stable, else newest)
          --input PATH            .csv (header row), .jsonl (one OIP inference request per line), .npy, a SQLite
                                  database (with --table), or a folder of images (preprocessed as the model's manifest says)
          --output PATH           the results: a SQLite database (default), or .csv / .jsonl by extension or --output-format
          --format F              the input's format when its name does not say: csv, jsonl, npy, sqlite, images
          --tensor NAME           the model input that CSV, .npy, table and image data fill (default: the only one)
          --table NAME            the table of a SQLite input
          --key COLUMN            the CSV or table column that names each row in the results (default: line number, rowid)
          --columns a,b,c         the feature columns, in order (default: every numeric column but the key)
          --outputs o1,o2         the model outputs to keep (default: all)
          --output-format F       sqlite, csv or jsonl
          --batch-size N          rows per run (default: the model's best batch size)
          --parallelism N         runs at once (default: EdgeRuntime:Batch:Parallelism, else every core)
          --id ID                 the job's id (default: derived from the output path, so the same command resumes)
          --restart               start over when the output holds another job's checkpoint
          --submit                hand the job to the running host (POST /v2/edge/batch/jobs) instead of running it here;
                                  relative paths are taken from this directory and must lie in the host's allowed roots
            --url URL             the host's API (default: its urls setting, else http://127.0.0.1:8080)
            --token T             bearer token (default: EdgeRuntime:Api:AdminToken, else AccessToken)
            --wait                follow the submitted job until it ends, with the exit codes below
          --json                  print the final status as JSON on stdout (the summary line goes to stderr)

          settings as the host takes them: --data DIR, --models DIR, --profile NAME, --EdgeRuntime:Batch:Nice=5, ...

        exit codes: 0 every row has a result; 3 some rows are errors (recorded with the results); 1 the job failed
        (rerun the same command to resume); 2 a usage error; 130 interrupted by Ctrl+C (rerun to resume)
        """;

    private static readonly string[] ValuedOptions =
    [
        "--model", "--input", "--output", "--format", "--tensor", "--table", "--key", "--columns", "--outputs",
        "--output-format", "--batch-size", "--parallelism", "--id", "--url", "--token",
    ];

    private static readonly string[] Flags = ["--restart", "--submit", "--wait", "--json"];

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        var options = CommandOptions.Parse(args, Usage, ValuedOptions, Flags, CommandConfiguration.IsSetting);
        if (options.Positionals.Count > 0)
        {
            throw new CommandException($"unexpected argument '{options.Positionals[0]}'\n{Usage}");
        }

        var submit = options.Has("--submit");
        foreach (var option in new[] { "--url", "--token", "--wait" })
        {
            if (!submit && (options.Value(option) is not null || options.Has(option)))
            {
                throw new CommandException($"{option} goes with --submit");
            }
        }

        var request = ReadRequest(options);
        var configuration = CommandConfiguration.Build(options.PassedThrough);
        using var interrupt = new Interrupt();
        var json = options.Has("--json");
        if (submit)
        {
            var submission = new BatchSubmission(configuration, options.Value("--url"), options.Value("--token"));
            return await submission.RunAsync(request, options.Has("--wait"), json, output, error, interrupt).ConfigureAwait(false);
        }

        return await RunHereAsync(request, configuration, json, output, error, interrupt).ConfigureAwait(false);
    }

    /// <summary>The exit code for a job's final status; says on stderr why it is not 0.</summary>
    public static async Task<int> FinishAsync(BatchJobStatus status, bool json, TextWriter output, TextWriter error, Interrupt interrupt)
    {
        var summary = BatchProgressDisplay.Summary(status);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(status, ContractsJsonContext.Default.BatchJobStatus)).ConfigureAwait(false);
            await error.WriteLineAsync(summary).ConfigureAwait(false);
        }
        else
        {
            await output.WriteLineAsync(summary).ConfigureAwait(false);
        }

        switch (status.State)
        {
            case BatchJobStates.Completed when status.RowsFailed == 0:
                return 0;
            case BatchJobStates.Completed:
                await error.WriteLineAsync($"{status.RowsFailed} of {status.RowsSucceeded + status.RowsFailed} rows have errors, recorded {WhereErrorsAre(status.Output, status.Id)}").ConfigureAwait(false);
                return RowErrorsExitCode;
            case BatchJobStates.Cancelled when interrupt.ExitCode is { } code:
                await error.WriteLineAsync($"interrupted after {status.RowsSucceeded + status.RowsFailed} rows; the checkpoint is kept: run the same command again to resume").ConfigureAwait(false);
                return code;
            default:
                await error.WriteLineAsync($"edge-runtime batch: job {status.Id} {status.State}: {status.Reason ?? "no reason given"}\nthe checkpoint is kept: run the same command again to resume").ConfigureAwait(false);
                return FailedExitCode;
        }
    }

    /// <summary>Where a job's error rows are: the <c>errors</c> table of the results database, or the job database beside a CSV/JSONL output.</summary>
    public static string WhereErrorsAre(string output, string id) =>
        OutputFormatOf(output) == "sqlite"
            ? $"in the errors table of {output}"
            : $"in the error field of {output} and the errors table of {output}.job.db (job {id})";

    private static async Task<int> RunHereAsync(BatchJobRequest request, IConfiguration configuration, bool json, TextWriter output, TextWriter error, Interrupt interrupt)
    {
        BatchJobSpec spec;
        try
        {
            spec = BatchJobRequests.ToSpec(request, "cli");
        }
        catch (BatchJobException ex)
        {
            throw new CommandException($"{ex.Message}\n{Usage}", ex);
        }

        var edge = CommandConfiguration.EdgeRuntime(configuration);
        var batch = CommandConfiguration.Batch(configuration);
        var profile = CommandConfiguration.Profile(edge);
        using var logging = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var runner = BatchJobRunner.Create(edge, batch, profile, logging);
        var progress = new LatestStatus();
        BatchJobStatus final;
        try
        {
            var job = runner.RunAsync(spec, progress, interrupt.Token);
            final = await BatchProgressDisplay.FollowAsync(job, () => progress.Latest, error, terminal: !Console.IsErrorRedirected, TimeSpan.FromSeconds(Math.Max(1, batch.ProgressSeconds))).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BatchJobException or BatchInputException)
        {
            // The job could not start (unknown model or version, another job's checkpoint, an unreadable input): nothing ran.
            // The runner names its Restart setting; on the command line that is --restart.
            throw new CommandException(ex.Message.Replace("pass Restart", "pass --restart", StringComparison.Ordinal), ex);
        }

        return await FinishAsync(final, json, output, error, interrupt).ConfigureAwait(false);
    }

    /// <summary>The job the options ask for, as the local API would take it; paths are made absolute from this directory.</summary>
    private static BatchJobRequest ReadRequest(CommandOptions options)
    {
        var model = options.Required("--model");
        string? version = null;
        if (model.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
        {
            version = model[(colon + 1)..];
            model = model[..colon];
            if (model.Length == 0 || version.Length == 0)
            {
                throw new CommandException($"--model {options.Value("--model")}: expected NAME or NAME:VERSION");
            }
        }

        var outputFormat = options.Value("--output-format");
        if (outputFormat is not null and not ("sqlite" or "csv" or "jsonl"))
        {
            throw new CommandException($"--output-format {outputFormat}: expected sqlite, csv or jsonl");
        }

        try
        {
            return new BatchJobRequest
            {
                Id = options.Value("--id"),
                Model = model,
                Version = version,
                Input = new BatchJobInput
                {
                    Path = Path.GetFullPath(options.Required("--input")),
                    Format = options.Value("--format"),
                    Tensor = options.Value("--tensor"),
                    Table = options.Value("--table"),
                    Key = options.Value("--key"),
                    Columns = BatchJobRequests.SplitList(options.Value("--columns")),
                },
                Output = Path.GetFullPath(options.Required("--output")),
                OutputFormat = outputFormat,
                Outputs = BatchJobRequests.SplitList(options.Value("--outputs")),
                BatchSize = BatchJobRequests.WholeNumber(options.Value("--batch-size"), "--batch-size"),
                Parallelism = BatchJobRequests.WholeNumber(options.Value("--parallelism"), "--parallelism"),
                Restart = options.Has("--restart"),
            };
        }
        catch (BatchJobException ex)
        {
            throw new CommandException(ex.Message, ex);
        }
    }

    private static string OutputFormatOf(string output) => Path.GetExtension(output).ToLowerInvariant() switch
    {
        ".csv" => "csv",
        ".jsonl" or ".ndjson" => "jsonl",
        _ => "sqlite",
    };

    /// <summary>The newest status a running job reported; the display reads it at its own pace.</summary>
    private sealed class LatestStatus : IProgress<BatchJobStatus>
    {
        private BatchJobStatus? _latest;

        public BatchJobStatus? Latest => Volatile.Read(ref _latest);

        public void Report(BatchJobStatus value) => Volatile.Write(ref _latest, value);
    }

    /// <summary>
    /// Ctrl+C (SIGINT) or SIGTERM cancels the job instead of killing the process, so it ends at a batch boundary with
    /// its checkpoint written; a second signal kills at once (the checkpoint is safe either way).
    /// </summary>
    internal sealed class Interrupt : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();
        private readonly PosixSignalRegistration[] _registrations;
        private int _exitCode;

        public Interrupt() =>
            _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];

        public CancellationToken Token => _cancellation.Token;

        /// <summary>130 after Ctrl+C, 143 after SIGTERM (128 + the signal, as shells report it); null when neither came.</summary>
        public int? ExitCode => Volatile.Read(ref _exitCode) is > 0 and var code ? code : null;

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }

            _cancellation.Dispose();
        }

        private void OnSignal(PosixSignalContext context)
        {
            var code = context.Signal == PosixSignal.SIGINT ? 130 : 143;
            if (Interlocked.CompareExchange(ref _exitCode, code, 0) == 0)
            {
                context.Cancel = true;
                _cancellation.Cancel();
            }
        }
    }
}
