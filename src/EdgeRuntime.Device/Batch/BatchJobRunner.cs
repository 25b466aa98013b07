using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging;
using SQLite;

namespace EdgeRuntime.Device.Batch;

/// <summary>Runs one batch job to its end, resuming from its checkpoint.</summary>
/// <remarks>
/// The job gets its own model session, created with one intra-op and one inter-op thread, so each run computes on the
/// worker thread that calls it — a thread of ours, at the configured nice — and never competes with the serving
/// session's ONNX Runtime thread pool. Standalone (<see cref="Create"/>) the runner touches only the model store, the
/// input, the output and its job database, and spools its <c>batch_job_finished</c> event for the host to import.
/// </remarks>
public sealed partial class BatchJobRunner
{
    /// <summary>Rows per run for a model whose configuration declares batching but names no batch size.</summary>
    internal const int DefaultBatchSize = 64;

    /// <summary>The most rows one run may stack, whatever the job or the model's configuration ask for.</summary>
    internal const int MaxBatchSize = 4096;

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the runner looks at its batch threads: they tell it nothing themselves (see <see cref="BatchPipeline"/>).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly EdgeRuntimeOptions _runtime;
    private readonly BatchOptions _options;
    private readonly DeviceProfile _profile;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly bool _inHost;
    private readonly TelemetryRecorder? _recorder;
    private readonly DeviceMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly BatchInputOpener _openInput;
    private readonly BatchPaths _paths;

    /// <summary>
    /// A runner; <paramref name="inHost"/> when jobs share the device with online serving (they then take
    /// <see cref="BatchOptions.CoreShare"/> of the cores). Without a <paramref name="recorder"/> the job's event is spooled
    /// for the host to import; without <paramref name="metrics"/> nothing is counted; <paramref name="openInput"/>
    /// defaults to <see cref="BatchInputs.Open"/>.
    /// </summary>
    internal BatchJobRunner(
        EdgeRuntimeOptions runtime,
        BatchOptions options,
        DeviceProfile profile,
        ILoggerFactory loggerFactory,
        bool inHost,
        TelemetryRecorder? recorder = null,
        DeviceMetrics? metrics = null,
        TimeProvider? time = null,
        BatchInputOpener? openInput = null)
    {
        _runtime = runtime;
        _options = options;
        _profile = profile;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<BatchJobRunner>();
        _inHost = inHost;
        _recorder = recorder;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _openInput = openInput ?? BatchInputs.Open;
        _paths = new BatchPaths(runtime, options);
    }

    /// <summary>
    /// A runner outside the host's services, e.g. for the <c>batch</c> command: it resolves models from
    /// <paramref name="runtime"/>'s model store and writes its job summary event into the data directory's spool
    /// (<c>&lt;data&gt;/batch-state/events/</c>), which the host imports into its telemetry store when it runs.
    /// </summary>
    /// <param name="runtime">The bound <c>EdgeRuntime</c> settings (data directory, model repository).</param>
    /// <param name="options">The bound <c>EdgeRuntime:Batch</c> settings.</param>
    /// <param name="profile">The device profile (execution providers); its thread settings are replaced by one thread per run.</param>
    /// <param name="loggerFactory">Where the runner logs.</param>
    /// <param name="inHost">True to take only <see cref="BatchOptions.CoreShare"/> of the cores (as in the host); false takes them all.</param>
    public static BatchJobRunner Create(EdgeRuntimeOptions runtime, BatchOptions options, DeviceProfile profile, ILoggerFactory loggerFactory, bool inHost = false) =>
        new(runtime, options, profile, loggerFactory, inHost);

    /// <summary>Input bytes one batch may hold: a batch of large rows (images) is cut there, whatever its batch size.</summary>
    internal long MaxBatchBytes { get; init; } = BatchPipeline.DefaultMaxBatchBytes;

    /// <summary>Input bytes the batches read ahead of the workers may hold together.</summary>
    internal long MaxQueuedBytes { get; init; } = BatchPipeline.DefaultMaxQueuedBytes;

    /// <summary>The id of a job that names none: from its absolute output path, so running the same command again resumes it.</summary>
    public static string DefaultJobId(string output) =>
        "job-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(output))))[..12];

    /// <summary>
    /// Runs <paramref name="spec"/>: resolves the model version from the model store, opens the input, skips what the
    /// checkpoint says is done, and writes each remaining row's result or error exactly once. Reports progress now and then.
    /// Returns the final status (completed, failed with the reason, or cancelled when <paramref name="cancellationToken"/> fires).
    /// </summary>
    /// <exception cref="BatchJobException">
    /// The job cannot start: an unknown model or version, another job's checkpoint at the output, a path inside the
    /// device's own state, or the same job running already (in this process or another one).
    /// </exception>
    public Task<BatchJobStatus> RunAsync(BatchJobSpec spec, IProgress<BatchJobStatus>? progress, CancellationToken cancellationToken = default) =>
        RunAsync(spec, progress, publishCancelled: true, cancellationToken);

    /// <summary>
    /// As the public <c>RunAsync</c>; <paramref name="publishCancelled"/> is false when a cancellation means "resume
    /// later" (the host stopping) rather than "the job ends", and no <c>batch_job_finished</c> event is recorded then.
    /// </summary>
    internal async Task<BatchJobStatus> RunAsync(BatchJobSpec spec, IProgress<BatchJobStatus>? progress, bool publishCancelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CheckSizes(spec);
        var files = BatchJobFiles.Of(spec);
        BatchJobLock held;
        try
        {
            CheckFiles(files);
            held = Lock(spec, files);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchJobException($"cannot open the output {files.Output}: {ex.Message}", ex);
        }

        using var hold = held;
        var startedMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var started = _time.GetTimestamp();
        using var run = Prepare(spec, files);
        if (run.AlreadyCompleted)
        {
            LogAlreadyCompleted(_logger, run.Id, run.OutputPath);
            var done = StoredStatus(run, spec);
            if (run.Database[BatchJobKeys.EventPublished] is null)
            {
                // The last run died between recording the job completed and recording its event: the event goes now.
                LogEventRecovered(_logger, run.Id);
                var summary = run.Database[BatchJobKeys.Summary] is { } json ? JsonSerializer.Deserialize(json, ContractsJsonContext.Default.BatchJobStatus) : null;
                PublishRecorded(run, summary ?? done);
            }

            progress?.Report(done);
            return done;
        }

        LogStarted(_logger, run.Id, run.Model.Name, run.Model.Version, spec.Input.Path, run.OutputPath, run.StartIndex, run.BatchSize, run.Parallelism);
        using var pipeline = new BatchPipeline(run, _options.Nice, _options.IdleScheduling, _logger, CountRows(run), cancellationToken, MaxBatchBytes, MaxQueuedBytes);
        pipeline.Start();
        try
        {
            // The batch threads run niced and tell this loop nothing: it polls them. Were they to complete a task, cancel
            // a token or queue work, the thread pool could start a worker on them, and that worker would keep their nice
            // value for good (a Linux thread inherits its creator's), serving online requests below everyone else.
            var lastReport = _time.GetTimestamp();
            while (!pipeline.IsCompleted)
            {
                await Task.Delay(PollInterval, _time, CancellationToken.None).ConfigureAwait(false);
                pipeline.PropagateStop();
                if (!pipeline.IsCompleted && _time.GetElapsedTime(lastReport) >= ProgressInterval)
                {
                    lastReport = _time.GetTimestamp();
                    progress?.Report(Status(run, spec, pipeline, BatchJobStates.Running, null, startedMs, started, final: false));
                }
            }
        }
        finally
        {
            // A progress handler that threw must not leave threads running over a closed job database.
            if (!pipeline.IsCompleted)
            {
                pipeline.Stop();
                while (!pipeline.IsCompleted)
                {
                    await Task.Delay(PollInterval, _time, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        var (state, reason) = pipeline switch
        {
            { OutputFailure: { } failure } => (BatchJobStates.Failed, failure),
            { Cancelled: true } => (BatchJobStates.Cancelled, "cancelled"),
            { InputFailure: { } failure } => (BatchJobStates.Failed, failure),
            _ => (BatchJobStates.Completed, (string?)null),
        };
        var status = Status(run, spec, pipeline, state, reason, startedMs, started, final: true);
        try
        {
            run.Database.Set(new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                [BatchJobKeys.State] = state,
                [BatchJobKeys.Reason] = reason,
                [BatchJobKeys.FinishedMs] = BatchJobKeys.Text(status.FinishedMs!.Value),
                [BatchJobKeys.RowsTotal] = status.RowsTotal is { } total ? BatchJobKeys.Text(total) : null,
                [BatchJobKeys.Summary] = JsonSerializer.Serialize(status, ContractsJsonContext.Default.BatchJobStatus),
                [BatchJobKeys.EventPublished] = null,
            });
        }
        catch (SQLiteException ex)
        {
            // The checkpoint is intact; only the final state is missing, and a rerun resumes from the checkpoint anyway.
            LogStateNotSaved(_logger, run.Id, ex.Message);
        }

        LogFinished(_logger, run.Id, state, status.RowsSucceeded, status.RowsFailed, status.DurationMs, reason ?? "");
        progress?.Report(status);
        if (state != BatchJobStates.Cancelled || publishCancelled)
        {
            PublishRecorded(run, status);
        }

        return status;
    }

    private Action<long, long>? CountRows(BatchRun run)
    {
        if (_metrics is not { } metrics)
        {
            return null;
        }

        var succeeded = metrics.BatchRows.WithLabels(run.Model.Name, run.Model.Version, "succeeded");
        var failed = metrics.BatchRows.WithLabels(run.Model.Name, run.Model.Version, "failed");
        return (ok, bad) =>
        {
            succeeded.Inc(ok);
            failed.Inc(bad);
        };
    }

    /// <summary>
    /// Records the job's summary: into the host's telemetry, or, outside the host or when its recorder is full, into the
    /// spool. False when it could be recorded nowhere.
    /// </summary>
    internal bool Publish(BatchJobStatus status)
    {
        if (_recorder?.Record(TelemetryKind.Event, TelemetryRecordTypes.BatchJobFinished, status.Model, status.Version, JsonSerializer.Serialize(status, ContractsJsonContext.Default.BatchJobStatus)) == true)
        {
            return true;
        }

        try
        {
            BatchEventSpool.Write(BatchEventSpool.PathUnder(_runtime.DataPath), status);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogEventLost(_logger, status.Id, ex.Message);
            return false;
        }
    }

    /// <summary>Publishes the job's summary and then notes in its database that it did, so that a rerun of a completed job knows.</summary>
    private void PublishRecorded(BatchRun run, BatchJobStatus status)
    {
        if (!Publish(status))
        {
            return;
        }

        try
        {
            run.Database.Set(new Dictionary<string, string?>(StringComparer.Ordinal) { [BatchJobKeys.EventPublished] = "1" });
        }
        catch (SQLiteException ex)
        {
            // A rerun of the completed job records the event a second time; the hub sees it twice, never not at all.
            LogEventNotNoted(_logger, run.Id, ex.Message);
        }
    }

    private BatchJobStatus Status(BatchRun run, BatchJobSpec spec, BatchPipeline pipeline, string state, string? reason, long startedMs, long started, bool final)
    {
        var elapsed = _time.GetElapsedTime(started);
        var succeeded = pipeline.RowsSucceeded;
        var failed = pipeline.RowsFailed;
        var rate = elapsed > TimeSpan.Zero ? pipeline.RowsThisRun / elapsed.TotalSeconds : 0;
        var total = run.Input.Count ?? (state == BatchJobStates.Completed ? succeeded + failed : null);
        return new BatchJobStatus
        {
            Id = run.Id,
            State = state,
            Trigger = spec.Trigger,
            Model = run.Model.Name,
            Version = run.Model.Version,
            Input = run.InputPath ?? spec.Input.Path,
            Output = run.OutputPath,
            RowsTotal = total,
            RowsSucceeded = succeeded,
            RowsFailed = failed,
            RowsResumed = run.RowsResumed,
            RowsPerSecond = Math.Round(rate, 1),
            EtaSeconds = !final && total is { } all && rate > 0 ? Math.Round(Math.Max(0, all - succeeded - failed) / rate, 1) : null,
            BatchSize = pipeline.BatchSize,
            Parallelism = run.Parallelism,
            StartedMs = startedMs,
            FinishedMs = final ? startedMs + (long)elapsed.TotalMilliseconds : null,
            DurationMs = (long)elapsed.TotalMilliseconds,
            Reason = reason,
        };
    }

    /// <summary>The status of a job that had already completed, as its database recorded it.</summary>
    private static BatchJobStatus StoredStatus(BatchRun run, BatchJobSpec spec)
    {
        var database = run.Database;
        var created = database.Number(BatchJobKeys.CreatedMs);
        var finished = database.Number(BatchJobKeys.FinishedMs);
        return new BatchJobStatus
        {
            Id = run.Id,
            State = BatchJobStates.Completed,
            Trigger = spec.Trigger,
            Model = run.Model.Name,
            Version = run.Model.Version,
            Input = database[BatchJobKeys.InputPath] ?? spec.Input.Path,
            Output = run.OutputPath,
            RowsTotal = database[BatchJobKeys.RowsTotal] is null ? null : database.Number(BatchJobKeys.RowsTotal),
            RowsSucceeded = database.Number(BatchJobKeys.RowsSucceeded),
            RowsFailed = database.Number(BatchJobKeys.RowsFailed),
            RowsResumed = run.RowsResumed,
            BatchSize = run.BatchSize,
            Parallelism = run.Parallelism,
            StartedMs = created,
            FinishedMs = finished,
            DurationMs = Math.Max(0, finished - created),
        };
    }

    [LoggerMessage(EventId = 1800, Level = LogLevel.Information, Message = "Batch job {Job}: model {Model} version {Version} over {Input} into {Output}, from row {Index}, batches of {BatchSize}, {Parallelism} worker(s)")]
    private static partial void LogStarted(ILogger logger, string job, string model, string version, string input, string output, long index, int batchSize, int parallelism);

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Batch job {Job} {State}: {Succeeded} row(s) with a result, {Failed} error(s) in all; this run took {DurationMs} ms {Reason}")]
    private static partial void LogFinished(ILogger logger, string job, string state, long succeeded, long failed, long durationMs, string reason);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Information, Message = "Batch job {Job} already completed into {Output}; nothing to do")]
    private static partial void LogAlreadyCompleted(ILogger logger, string job, string output);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Batch job {Job}: could not record its final state (its checkpoint is intact): {Reason}")]
    private static partial void LogStateNotSaved(ILogger logger, string job, string reason);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Warning, Message = "Batch job {Job}: its batch_job_finished event could not be spooled and is lost: {Reason}")]
    private static partial void LogEventLost(ILogger logger, string job, string reason);

    [LoggerMessage(EventId = 1836, Level = LogLevel.Warning, Message = "Batch job {Job} completed, but its batch_job_finished event was never recorded (the process ended first); recording it now")]
    private static partial void LogEventRecovered(ILogger logger, string job);

    [LoggerMessage(EventId = 1837, Level = LogLevel.Warning, Message = "Batch job {Job}: could not note in its database that its event was recorded, so a rerun records it again: {Reason}")]
    private static partial void LogEventNotNoted(ILogger logger, string job, string reason);
}
