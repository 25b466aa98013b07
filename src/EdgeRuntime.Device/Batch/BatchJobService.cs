using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Batch;

/// <summary>The host's batch jobs: submitted through the local API, the hub or a schedule, run in the background, resumed after a restart.</summary>
/// <remarks>
/// Up to <see cref="BatchOptions.MaxConcurrentJobs"/> run at once, the rest wait queued, oldest first. Every job is kept
/// in <c>&lt;data&gt;/batch-state/jobs.json</c> before <see cref="Submit"/> returns, so a host that stops — cleanly or
/// killed — resumes its queued and running jobs at the next start from their checkpoints. That folder lies outside every
/// folder jobs may write. The service also imports the
/// <c>batch_job_finished</c> events that jobs run outside the host spooled, and starts the configured schedules.
/// </remarks>
public sealed partial class BatchJobService : BackgroundService
{
    /// <summary>Finished jobs kept in the list; older ones are forgotten (their results stay where they were written).</summary>
    internal const int KeepFinished = 100;

    private static readonly TimeSpan SpoolInterval = TimeSpan.FromSeconds(5);

    private readonly EdgeRuntimeOptions _runtime;
    private readonly BatchOptions _options;
    private readonly ILogger _logger;
    private readonly TelemetryRecorder? _recorder;
    private readonly DeviceMetrics? _metrics;
    private readonly TimeProvider _time;
    private readonly BatchJobRunner _runner;
    private readonly BatchPaths _paths;
    private readonly string _registryPath;
    private readonly object _gate = new();
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private bool _loaded;
    private string? _loadFailure;
    private bool _started;
    private CancellationToken _stopping;

    public BatchJobService(
        IOptions<EdgeRuntimeOptions> runtime,
        IOptions<BatchOptions> options,
        DeviceProfile profile,
        ILoggerFactory loggerFactory,
        TelemetryRecorder? recorder = null,
        DeviceMetrics? metrics = null,
        TimeProvider? time = null)
        : this(runtime.Value, options.Value, profile, loggerFactory, recorder, metrics, time, openInput: null)
    {
    }

    internal BatchJobService(
        EdgeRuntimeOptions runtime,
        BatchOptions options,
        DeviceProfile profile,
        ILoggerFactory loggerFactory,
        TelemetryRecorder? recorder,
        DeviceMetrics? metrics,
        TimeProvider? time,
        BatchInputOpener? openInput)
    {
        _runtime = runtime;
        _options = options;
        _logger = loggerFactory.CreateLogger<BatchJobService>();
        _recorder = recorder;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        _runner = new BatchJobRunner(runtime, options, profile, loggerFactory, inHost: true, recorder, metrics, _time, openInput);
        _paths = new BatchPaths(runtime, options);
        _registryPath = Path.Combine(_paths.StateDirectory, "jobs.json");
    }

    /// <summary>
    /// Queues <paramref name="spec"/> (paths relative to <c>&lt;data&gt;/batch</c>, checked against the allowed roots and
    /// kept out of the device's own state) and returns its status. Submitting the id of a job that has not finished
    /// returns that job's status instead of running it twice; the id of a finished one runs it again (which resumes it,
    /// or does nothing if it completed). A job that would write a file another unfinished job reads or writes, or read
    /// one it writes, is refused.
    /// </summary>
    /// <exception cref="BatchJobException">The job is refused, with the reason.</exception>
    public BatchJobStatus Submit(BatchJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec.Model) || string.IsNullOrWhiteSpace(spec.Input.Path) || string.IsNullOrWhiteSpace(spec.Output))
        {
            throw new BatchJobException("a batch job needs a model, an input path and an output path");
        }

        BatchJobRunner.CheckSizes(spec);
        BatchJobSpec resolved;
        try
        {
            resolved = Resolve(spec);

            // Refused now rather than after a wait in the queue: the model and version must be in the store.
            BatchModel.Resolve(_runtime.ModelRepositoryPath, resolved.Model, resolved.Version);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchJobException($"the job cannot be checked: {ex.Message}", ex, BatchJobErrorKind.Failed);
        }

        lock (_gate)
        {
            if (!EnsureLoaded())
            {
                throw new BatchJobException($"the batch job registry {_registryPath} cannot be read ({_loadFailure}); no job is accepted until it can", BatchJobErrorKind.Unavailable);
            }

            if (_jobs.TryGetValue(resolved.Id!, out var existing) && !BatchJobStates.IsFinished(existing.Status.State))
            {
                return existing.Status;
            }

            try
            {
                CheckNotBusy(resolved);
            }
            catch (IOException ex)
            {
                throw new BatchJobException($"the job cannot be checked: {ex.Message}", ex, BatchJobErrorKind.Failed);
            }

            var job = new Job(resolved, Queued(resolved), _time.GetUtcNow().ToUnixTimeMilliseconds());
            _jobs[resolved.Id!] = job;
            try
            {
                Save();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _jobs.Remove(resolved.Id!);
                if (existing is not null)
                {
                    _jobs[resolved.Id!] = existing;
                }

                throw new BatchJobException($"cannot record the job in {_registryPath}: {ex.Message}", ex, BatchJobErrorKind.Failed);
            }

            LogQueued(_logger, resolved.Id!, resolved.Trigger, resolved.Model, resolved.Output);
            StartQueued();
            return job.Status;
        }
    }

    /// <summary>Every job the host knows, newest first: the unfinished ones and the last finished ones.</summary>
    public IReadOnlyList<BatchJobStatus> List()
    {
        lock (_gate)
        {
            EnsureLoaded();
            return [.. _jobs.Values.OrderByDescending(j => j.SubmittedMs).ThenByDescending(j => j.Spec.Id, StringComparer.Ordinal).Select(j => j.Status)];
        }
    }

    /// <summary>A job's status; null for an unknown id.</summary>
    public BatchJobStatus? Get(string id)
    {
        lock (_gate)
        {
            EnsureLoaded();
            return _jobs.TryGetValue(id, out var job) ? job.Status : null;
        }
    }

    /// <summary>Cancels a queued or running job; false when there is no such unfinished job.</summary>
    public bool Cancel(string id)
    {
        BatchJobStatus? cancelled = null;
        lock (_gate)
        {
            EnsureLoaded();
            if (!_jobs.TryGetValue(id, out var job) || BatchJobStates.IsFinished(job.Status.State))
            {
                return false;
            }

            if (job.Cancellation is { } running)
            {
                // Recorded first: a host that dies before the run has stopped must not resume the job at its next start.
                // The runner then stops its threads and reports the job cancelled; RunJobAsync records that.
                job.CancelRequested = true;
                SaveLogged();
                running.Cancel();
                return true;
            }

            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            cancelled = job.Status with { State = BatchJobStates.Cancelled, Reason = "cancelled before it started", FinishedMs = now };
            job.Status = cancelled;
            SaveLogged();
        }

        _metrics?.BatchJobs.WithLabels(BatchJobStates.Cancelled).Inc();
        _runner.Publish(cancelled);
        LogFinished(_logger, id, cancelled.State, cancelled.Reason ?? "");
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lock (_gate)
        {
            _stopping = stoppingToken;
            _started = true;
            if (EnsureLoaded())
            {
                StartQueued();
            }
        }

        try
        {
            // Until the host stops, even with no spool to import and no schedule to run: only then are the running jobs
            // collected and waited for below.
            await Task.WhenAll(ImportSpoolAsync(stoppingToken), RunSchedulesAsync(stoppingToken), Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: the running jobs saw the token; wait until their checkpoints are closed.
        Task[] running;
        lock (_gate)
        {
            running = [.. _jobs.Values.Select(j => j.Run).OfType<Task>()];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>
    /// Absolute paths (relative ones under <c>&lt;data&gt;/batch</c>) and the job id. Every file the job reads or writes
    /// (its input, output, job database and the database's companions) must be under an allowed root and out of the
    /// device's own state.
    /// </summary>
    private BatchJobSpec Resolve(BatchJobSpec spec)
    {
        Directory.CreateDirectory(_paths.BatchDirectory);
        var input = _paths.Absolute(spec.Input.Path);
        var output = _paths.Absolute(spec.Output);
        var resolved = spec with
        {
            Id = string.IsNullOrWhiteSpace(spec.Id) ? BatchJobRunner.DefaultJobId(output) : spec.Id,
            Input = spec.Input with { Path = input },
            Output = output,
        };
        var files = BatchJobFiles.Of(resolved);
        foreach (var (what, path) in files.Written.Select(path => (path == output ? "output" : "job file", path)).Prepend(("input", input)))
        {
            bool allowed;
            string? touches;
            try
            {
                allowed = _paths.IsAllowed(path);
                touches = _paths.Protected(path);
            }
            catch (IOException ex)
            {
                throw new BatchJobException($"the {what} {path} cannot be checked: {ex.Message}", ex, BatchJobErrorKind.Failed);
            }

            if (touches is not null)
            {
                throw new BatchJobException($"the {what} {path} is inside {touches}, which batch jobs may never read or write", BatchJobErrorKind.Forbidden);
            }

            if (!allowed)
            {
                throw new BatchJobException(
                    $"the {what} {path} is outside the folders batch jobs may use ({string.Join(", ", _paths.Roots)}); set {BatchOptions.SectionName}:AllowedRoots to allow it",
                    BatchJobErrorKind.Forbidden);
            }
        }

        return resolved;
    }

    /// <summary>
    /// Refuses <paramref name="spec"/> when it would write a file an unfinished job reads or writes, or read a file one
    /// writes: compared as the files they resolve to (links followed), so that another job's <c>&lt;output&gt;.job.db</c>
    /// or the same folder reached through a link counts. Called with the gate held.
    /// </summary>
    /// <exception cref="BatchJobException">The job would collide with another one.</exception>
    private void CheckNotBusy(BatchJobSpec spec)
    {
        var files = BatchJobFiles.Of(spec);
        var input = BatchPaths.Resolve(files.Input);
        var written = BatchPaths.NewSet();
        written.UnionWith(files.Written.Select(BatchPaths.Resolve));
        foreach (var other in _jobs.Values.Where(j => !BatchJobStates.IsFinished(j.Status.State) && j.Spec.Id != spec.Id))
        {
            var theirs = BatchJobFiles.Of(other.Spec);
            var theirInput = BatchPaths.Resolve(theirs.Input);
            var theirWritten = BatchPaths.NewSet();
            theirWritten.UnionWith(theirs.Written.Select(BatchPaths.Resolve));
            if (theirWritten.Contains(input))
            {
                throw new BatchJobException($"job {other.Spec.Id} is writing {files.Input} (its output or job database), which this job would read; wait until it has finished", BatchJobErrorKind.Conflict);
            }

            if (written.FirstOrDefault(path => theirWritten.Contains(path) || written.Comparer.Equals(path, theirInput)) is { } shared)
            {
                var role = written.Comparer.Equals(shared, theirInput) ? "reads" : "writes";
                throw new BatchJobException($"job {other.Spec.Id} {role} {shared} already, which this job would write; wait until it has finished", BatchJobErrorKind.Conflict);
            }
        }
    }

    private static BatchJobStatus Queued(BatchJobSpec spec) => new()
    {
        Id = spec.Id!,
        State = BatchJobStates.Queued,
        Trigger = spec.Trigger,
        Model = spec.Model,
        Version = spec.Version,
        Input = spec.Input.Path,
        Output = spec.Output,
        BatchSize = spec.BatchSize ?? 0,
        Parallelism = spec.Parallelism ?? 0,
    };

    /// <summary>Starts queued jobs, oldest first, up to the limit; only once the service runs. Called with the gate held.</summary>
    private void StartQueued()
    {
        if (!_started || _stopping.IsCancellationRequested)
        {
            return;
        }

        var running = _jobs.Values.Count(j => j.Run is not null);
        foreach (var job in _jobs.Values.Where(j => j.Run is null && j.Status.State == BatchJobStates.Queued).OrderBy(j => j.SubmittedMs).ToList())
        {
            if (running >= _options.MaxConcurrentJobs)
            {
                return;
            }

            job.Cancellation = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            job.Status = job.Status with { State = BatchJobStates.Running, Reason = null };
            job.Run = Task.Run(() => RunJobAsync(job));
            running++;
        }
    }

    private async Task RunJobAsync(Job job)
    {
        var id = job.Spec.Id!;
        _metrics?.BatchJobsRunning.Inc();
        BatchJobStatus final;
        try
        {
            lock (_gate)
            {
                SaveLogged();
            }

            var progress = new Progress(this, job);
            final = await _runner.RunAsync(job.Spec, progress, publishCancelled: false, job.Cancellation!.Token).ConfigureAwait(false);
        }
        catch (BatchJobException ex)
        {
            final = Failed(job, ex.Message);
            _runner.Publish(final);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogJobCrashed(_logger, id, ex);
            final = Failed(job, $"the job failed unexpectedly: {ex.Message}");
            _runner.Publish(final);
        }
        finally
        {
            _metrics?.BatchJobsRunning.Dec();
        }

        // Cancelled because the host stops (not by Cancel): the job stays running in the registry and resumes at the next start.
        var resumeLater = final.State == BatchJobStates.Cancelled && !job.CancelRequested;
        if (final.State == BatchJobStates.Cancelled && job.CancelRequested)
        {
            _runner.Publish(final);
        }

        lock (_gate)
        {
            job.Status = resumeLater ? final with { State = BatchJobStates.Running, FinishedMs = null, Reason = null } : final;
            job.Cancellation?.Dispose();
            job.Cancellation = null;
            job.Run = null;
            Trim();
            SaveLogged();
            StartQueued();
        }

        if (!resumeLater)
        {
            _metrics?.BatchJobs.WithLabels(final.State).Inc();
            LogFinished(_logger, id, final.State, final.Reason ?? "");
        }
    }

    private BatchJobStatus Failed(Job job, string reason)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return job.Status with { State = BatchJobStates.Failed, Reason = reason, FinishedMs = now };
    }

    private async Task ImportSpoolAsync(CancellationToken cancellationToken)
    {
        if (_recorder is null)
        {
            return;
        }

        var directory = BatchEventSpool.PathUnder(_runtime.DataPath);
        while (true)
        {
            try
            {
                await BatchEventSpool.ImportAsync(directory, _recorder, _logger, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Left in the spool for the next attempt; a failing import must not stop the host.
                LogSpoolFailed(_logger, directory, ex.Message);
            }

            await Task.Delay(SpoolInterval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1820, Level = LogLevel.Information, Message = "Batch job {Job} queued ({Trigger}): model {Model} into {Output}")]
    private static partial void LogQueued(ILogger logger, string job, string trigger, string model, string output);

    [LoggerMessage(EventId = 1821, Level = LogLevel.Information, Message = "Batch job {Job} ended {State} {Reason}")]
    private static partial void LogFinished(ILogger logger, string job, string state, string reason);

    [LoggerMessage(EventId = 1824, Level = LogLevel.Error, Message = "Batch job {Job} failed unexpectedly")]
    private static partial void LogJobCrashed(ILogger logger, string job, Exception exception);

    [LoggerMessage(EventId = 1825, Level = LogLevel.Warning, Message = "Could not import spooled batch job events from {Directory}: {Reason}")]
    private static partial void LogSpoolFailed(ILogger logger, string directory, string reason);

    /// <summary>A job the service knows, with the run under way when it runs. Mutated with the gate held.</summary>
    private sealed class Job(BatchJobSpec spec, BatchJobStatus status, long submittedMs)
    {
        private volatile BatchJobStatus _status = status;

        public BatchJobSpec Spec { get; } = spec;

        public BatchJobStatus Status
        {
            get => _status;
            set => _status = value;
        }

        public long SubmittedMs { get; } = submittedMs;

        public CancellationTokenSource? Cancellation { get; set; }

        public Task? Run { get; set; }

        public bool CancelRequested { get; set; }
    }

    /// <summary>Keeps a running job's status current, synchronously (no synchronization context to post to).</summary>
    private sealed class Progress(BatchJobService service, Job job) : IProgress<BatchJobStatus>
    {
        public void Report(BatchJobStatus value)
        {
            lock (service._gate)
            {
                if (job.Run is not null && !BatchJobStates.IsFinished(value.State))
                {
                    job.Status = value;
                }
            }
        }
    }
}
