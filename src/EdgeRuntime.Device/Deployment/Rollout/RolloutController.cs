using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// Moves models from version to version safely. A new version is staged (package verified, unpacked beside the
/// versions, loaded, smoke-tested) while the stable one keeps serving; then its strategy takes over: immediate
/// promotes it, blue-green mirrors then splits then promotes, canary splits, shadow mirrors. Guardrail trips, commands
/// and the local admin API promote, advance or roll back. Every change is written to the model's <c>rollout.json</c>
/// (temp file, fsync, rename) before it takes effect and every step can be redone, so after a crash the host serves the
/// stable version and resumes. Operations run one at a time on one worker; the last K versions stay for rollback.
/// </summary>
public sealed partial class RolloutController : BackgroundService, IRolloutTripHandler
{
    private readonly ModelRepository _repository;
    private readonly RolloutTable _table;
    private readonly RolloutTraffic? _traffic;
    private readonly PackageTrustProvider _trust;
    private readonly RolloutOptions _options;
    private readonly TelemetryRecorder? _recorder;
    private readonly RepositoryWatcher? _watcher;
    private readonly IRolloutObserver[] _observers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _packageDirectory;
    private readonly string _uploadDirectory;
    private readonly Channel<Operation> _operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, long> _lastShadowReport = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, GuardrailTrip> _trips = new(StringComparer.Ordinal);

    // While a save runs, the state readers are shown instead of the file (null: the model had no rollout): the file is
    // written before the repository serves by it, so a caller that reads "stable 2" must not read it from the file
    // until then. Outside a save, the file is what the repository serves by.
    private readonly ConcurrentDictionary<string, RolloutState?> _saving = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;
    private int _tickQueued;

    public RolloutController(
        ModelRepository repository,
        RolloutTable table,
        PackageTrustProvider trust,
        IOptions<RolloutOptions> options,
        IOptions<EdgeRuntimeOptions> runtimeOptions,
        ILogger<RolloutController> logger,
        RolloutTraffic? traffic = null,
        TelemetryRecorder? recorder = null,
        RepositoryWatcher? watcher = null,
        IEnumerable<IRolloutObserver>? observers = null,
        TimeProvider? time = null)
    {
        _repository = repository;
        _table = table;
        _trust = trust;
        _options = options.Value;
        _logger = logger;
        _traffic = traffic;
        _recorder = recorder;
        _watcher = watcher;
        _observers = observers?.ToArray() ?? [];
        _time = time ?? TimeProvider.System;
        _packageDirectory = Path.Combine(runtimeOptions.Value.DataPath, "rollout", "packages");
        _uploadDirectory = Path.Combine(runtimeOptions.Value.DataPath, "rollout", "uploads");
    }

    /// <summary>Completes when the rollouts found at start have been resumed.</summary>
    public Task Recovered => _recovered.Task;

    /// <summary>Stages <paramref name="request"/>'s version and starts its rollout; completes when it is staged (or failed).</summary>
    public Task<RolloutResult> StartAsync(RolloutRequest request, CancellationToken cancellationToken = default) =>
        EnqueueAsync(request.Model, _ => StartLockedAsync(request), cancellationToken);

    /// <summary>Makes the candidate the stable version now.</summary>
    public Task<RolloutResult> PromoteAsync(string model, string trigger, CancellationToken cancellationToken = default) =>
        EnqueueAsync(model, state => state.Candidate is null || state.Phase == RolloutPhases.Staging
            ? Task.FromResult(RolloutResult.Failure(state, "promote", state.Candidate is null ? $"model '{model}' has no candidate to promote" : $"candidate {state.Candidate} is still staging"))
            : PromoteLockedAsync(state, trigger, $"promoted by {trigger}"), cancellationToken);

    /// <summary>Moves the rollout to its next phase: blue-green mirror → split → full; canary and shadow → promoted.</summary>
    public Task<RolloutResult> AdvanceAsync(string model, string trigger, CancellationToken cancellationToken = default) =>
        EnqueueAsync(model, state => AdvanceLockedAsync(state, trigger), cancellationToken);

    /// <summary>Takes the candidate out of serving; without one, goes back to the previous kept version.</summary>
    public Task<RolloutResult> RollbackAsync(string model, string trigger, string? reason = null, CancellationToken cancellationToken = default) =>
        EnqueueAsync(model, state => RollbackLockedAsync(state, trigger, reason ?? $"rolled back by {trigger}", trip: null, rolloutId: null), cancellationToken);

    /// <summary>A fresh path for a package being received (e.g. by the admin API); files left there by a crash are removed at start.</summary>
    public string NewUploadPath()
    {
        Directory.CreateDirectory(_uploadDirectory);
        return Path.Combine(_uploadDirectory, Guid.NewGuid().ToString("N") + ".edgepkg");
    }

    /// <summary>Every model's rollout state as saved, by model name.</summary>
    public IReadOnlyList<RolloutState> States()
    {
        var root = _repository.Root;
        if (!Directory.Exists(root))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(root)
            .Select(d => DurableFile.Read(Path.Combine(d, ModelRepository.RolloutFileName), RolloutJsonContext.Default.RolloutState))
            .OfType<RolloutState>()
            .Select(s => _saving.TryGetValue(s.Model, out var shown) ? shown : s)
            .OfType<RolloutState>()
            .OrderBy(s => s.Model, StringComparer.Ordinal)];
    }

    /// <summary>A model's rollout state as saved and in effect (the repository serves by it); null when no rollout manages it.</summary>
    public RolloutState? StateOf(string model) =>
        !ModelRepository.IsValidName(model) ? null : _saving.TryGetValue(model, out var shown) ? shown : Load(model);

    /// <summary>A model's rollout state as saved, or, for a model no rollout has managed yet, what it would start from (what serves now is stable).</summary>
    public RolloutState CurrentOf(string model) => StateOf(model) ?? Initial(model);

    /// <summary>The rollouts as the device reports them: state plus what the traffic showed so far.</summary>
    public IReadOnlyList<DeviceRolloutStatus> Describe() => [.. States().Select(Describe)];

    public DeviceRolloutStatus Describe(RolloutState state)
    {
        var observed = state.Candidate is not null && state.Phase != RolloutPhases.Staging ? _traffic?.Observe(state.Model) : null;
        return new DeviceRolloutStatus
        {
            Model = state.Model,
            Stable = state.Stable,
            Candidate = state.Candidate,
            Strategy = state.Spec?.Strategy,
            Phase = state.Phase,
            SplitPercent = state.Phase is RolloutPhases.Split or RolloutPhases.Canary ? SplitOf(state.Spec) : null,
            DeploymentId = state.Spec?.DeploymentId ?? state.LastDeploymentId,
            LastVersion = state.LastVersion,
            LastOutcome = state.LastOutcome,
            LastReason = state.LastReason,
            PhaseSinceMs = state.PhaseSinceMs,
            Kept = state.Kept,
            StableRequests = observed?.StableRequests,
            StableErrors = observed?.StableErrors,
            CandidateRequests = observed?.CandidateRequests,
            CandidateErrors = observed?.CandidateErrors,
            StableP95Ms = observed?.StableP95Ms,
            CandidateP95Ms = observed?.CandidateP95Ms,
            Comparison = observed?.Comparison,
        };
    }

    /// <summary>A guardrail tripped: the candidate stops taking traffic at once; the rollback is saved on the worker.</summary>
    public void OnTrip(ActiveRollout rollout, GuardrailTrip trip)
    {
        // Remembered before anything else, so a promote or advance queued ahead of the rollback rolls back instead.
        _trips.TryAdd(rollout.Id, trip);
        if (!_table.Remove(rollout.Model, rollout.Id))
        {
            return;
        }

        LogTripped(rollout.Model, rollout.Candidate, trip.Reason);
        _ = EnqueueAsync(rollout.Model, state => RollbackLockedAsync(state, "auto", trip.Reason, trip, rollout.Id), CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            if (_watcher is not null)
            {
                await _watcher.InitialScan.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            await RecoverAsync(stoppingToken).ConfigureAwait(false);
            _recovered.TrySetResult();
            // At most one tick waits in the queue: a long staging does not pile them up.
            using var ticker = new Timer(
                _ =>
                {
                    if (Interlocked.Exchange(ref _tickQueued, 1) == 0)
                    {
                        _operations.Writer.TryWrite(Operation.Tick);
                    }
                },
                null,
                TimeSpan.FromSeconds(1),
                TimeSpan.FromSeconds(1));
            await foreach (var operation in _operations.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (operation.Model is null)
                {
                    Volatile.Write(ref _tickQueued, 0);
                    try
                    {
                        await TickAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogOperationFailed("*", ex.Message);
                    }

                    continue;
                }

                try
                {
                    var state = Load(operation.Model) ?? Initial(operation.Model);
                    operation.Done!.TrySetResult(await operation.Run!(state).ConfigureAwait(false));
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    operation.Done!.TrySetCanceled(stoppingToken);
                    throw;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A full disk, a permission problem or a fault of ours: the state on disk is what the last completed
                    // write made it, and the host keeps serving; a candidate stuck in staging is given up.
                    LogOperationFailed(operation.Model, ex.Message);
                    operation.Done!.TrySetResult(await AbandonAsync(operation.Model, ex).ConfigureAwait(false));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; rollout.json says where to resume.
        }
        finally
        {
            _recovered.TrySetResult();
        }
    }

    private async Task<RolloutResult> EnqueueAsync(string model, Func<RolloutState, Task<RolloutResult>> run, CancellationToken cancellationToken)
    {
        if (!ModelRepository.IsValidName(model))
        {
            return RolloutResult.Failure(new RolloutState { Model = model }, "request", $"'{model}' is not a valid model name");
        }

        var done = new TaskCompletionSource<RolloutResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _operations.Writer.WriteAsync(new Operation(model, run, done), cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<RolloutResult> AbandonAsync(string model, Exception exception)
    {
        var state = Load(model) ?? Initial(model);
        if (state.Candidate is null || state.Phase != RolloutPhases.Staging)
        {
            return RolloutResult.Failure(state, "internal", exception.Message);
        }

        try
        {
            return await FailAsync(state, "internal", exception.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still failing (e.g. the disk is full): a restart resumes staging from rollout.json.
            LogOperationFailed(model, ex.Message);
            return RolloutResult.Failure(state, "internal", exception.Message);
        }
    }

    /// <summary>Resumes what a restart interrupted: staging goes on, a candidate taking traffic takes it again.</summary>
    private async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var states = States();
        DeleteUnreferencedFiles(states);
        foreach (var state in states)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                DeleteStagingLeftovers(state);
                if (state.Candidate is null)
                {
                    await PruneAsync(state, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                LogResuming(state.Model, state.Candidate, state.Phase);
                if (state.Phase == RolloutPhases.Staging)
                {
                    await ContinueStagingAsync(state).ConfigureAwait(false);
                }
                else if (IsReady(state.Model, state.Candidate))
                {
                    _table.Set(Active(state));
                }
                else
                {
                    await RollbackLockedAsync(state, "auto", $"candidate {state.Candidate} did not load after the restart", trip: null, rolloutId: null).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One model's broken rollout must not keep the others from resuming; it is retried at the next start.
                LogOperationFailed(state.Model, ex.Message);
            }
        }
    }

    private async Task TickAsync()
    {
        _traffic?.Tick();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var active in _table.All)
        {
            if (Load(active.Model) is not { } state || state.RolloutId != active.Id || state.Spec is null)
            {
                continue;
            }

            var observed = _traffic?.Observe(active.Model);
            if (active.Mirrors && observed?.Comparison is { } comparison
                && now - _lastShadowReport.GetValueOrDefault(active.Id, state.PhaseSinceMs) >= _options.ShadowReportSeconds * 1000L)
            {
                _lastShadowReport[active.Id] = now;
                Record(DeploymentEventTypes.ShadowReport, Event(state, state.Candidate!) with { Phase = state.Phase, Comparison = comparison });
            }

            if (state.Spec.AutoAdvanceSeconds is { } seconds && now - state.PhaseSinceMs >= seconds * 1000L && IsGreen(active, observed))
            {
                await AdvanceLockedAsync(state, "auto").ConfigureAwait(false);
            }
        }
    }

    /// <summary>Green: no trip so far (the rollout still takes traffic) and enough samples that a trip was possible.</summary>
    private static bool IsGreen(ActiveRollout active, RolloutObservation? observed) => observed is not null && (active.Mirrors
        ? observed.Comparison is { } comparison && comparison.Samples >= active.Guardrails.MinShadowSamples
        : observed.CandidateRequests >= active.Guardrails.MinRequests);

    private async Task<RolloutResult> AdvanceLockedAsync(RolloutState state, string trigger)
    {
        if (state.Candidate is null || state.Phase == RolloutPhases.Staging)
        {
            return RolloutResult.Failure(state, "advance", state.Candidate is null ? $"model '{state.Model}' has no candidate" : $"candidate {state.Candidate} is still staging");
        }

        if (TripOf(state) is { } trip)
        {
            return await RollbackLockedAsync(state, "auto", trip.Reason, trip, state.RolloutId).ConfigureAwait(false);
        }

        if (state.Phase == RolloutPhases.Mirror)
        {
            var next = await SaveAsync(state with { Phase = RolloutPhases.Split, PhaseSinceMs = Now() }, s => _table.Set(Active(s))).ConfigureAwait(false);
            Record(DeploymentEventTypes.PhaseChanged, Event(next, next.Candidate!) with { Phase = next.Phase, Trigger = trigger });
            LogPhase(next.Model, next.Candidate!, next.Phase, trigger);
            return new RolloutResult(true, next);
        }

        return await PromoteLockedAsync(state, trigger, $"promoted by {trigger} from phase {state.Phase}").ConfigureAwait(false);
    }

    private async Task<RolloutResult> PromoteLockedAsync(RolloutState state, string trigger, string reason)
    {
        if (TripOf(state) is { } trip)
        {
            return await RollbackLockedAsync(state, "auto", trip.Reason, trip, state.RolloutId).ConfigureAwait(false);
        }

        var candidate = state.Candidate!;
        var observed = _traffic?.Observe(state.Model);
        _table.Remove(state.Model);
        var next = await SaveAsync(state.Ended(RolloutOutcomes.Promoted, reason, Now()) with
        {
            Stable = candidate,
            Kept = [candidate, .. state.Kept.Where(v => v != candidate)],
        }).ConfigureAwait(false);
        await PauseAsync(RolloutSteps.Activated, next.Model, candidate).ConfigureAwait(false);
        Record(DeploymentEventTypes.Promoted, Event(state, candidate) with { Stable = state.Stable, Phase = state.Phase, Trigger = trigger, Reason = reason, Comparison = observed?.Comparison });
        LogPromoted(next.Model, candidate, state.Stable ?? "none", trigger);
        DeletePackage(state.Package);
        next = await PruneAsync(next, _stopping).ConfigureAwait(false);
        return new RolloutResult(true, next);
    }

    private async Task<RolloutResult> RollbackLockedAsync(RolloutState state, string trigger, string reason, GuardrailTrip? trip, string? rolloutId)
    {
        if (rolloutId is not null && state.RolloutId != rolloutId)
        {
            // The trip was about a rollout that has ended since.
            return new RolloutResult(true, state);
        }

        if (state.Candidate is null)
        {
            return await RollbackToPreviousAsync(state, trigger, reason).ConfigureAwait(false);
        }

        var candidate = state.Candidate;
        var observed = _traffic?.Observe(state.Model);
        _table.Remove(state.Model);
        _trips.TryRemove(state.RolloutId ?? "", out _);
        var next = await SaveAsync(state.Ended(RolloutOutcomes.RolledBack, reason, Now()) with
        {
            Packages = Without(state.Packages, state.Kept.Contains(candidate) ? null : candidate),
        }).ConfigureAwait(false);
        if (!next.Kept.Contains(candidate))
        {
            DeleteDirectory(VersionDirectory(next.Model, candidate));
        }

        DeletePackage(state.Package);
        Record(DeploymentEventTypes.RolledBack, Event(state, candidate) with
        {
            Stable = state.Stable,
            Phase = state.Phase,
            Trigger = trigger,
            Reason = reason,
            Guardrail = trip?.Guardrail,
            Observed = trip?.Observed,
            Threshold = trip?.Threshold,
            Samples = trip?.Samples,
            Comparison = observed?.Comparison,
        });
        LogRolledBack(next.Model, candidate, next.Stable ?? "none", reason);
        return new RolloutResult(true, next);
    }

    /// <summary>No candidate: the stable version gives way to the previous kept one, staged again like any other version.</summary>
    private async Task<RolloutResult> RollbackToPreviousAsync(RolloutState state, string trigger, string reason)
    {
        var demoted = state.Stable;
        var previous = state.Kept.Skip(1).FirstOrDefault(v => Directory.Exists(VersionDirectory(state.Model, v)));
        if (demoted is null || previous is null)
        {
            return RolloutResult.Failure(state, "rollback", $"model '{state.Model}' has no candidate and no earlier kept version to go back to");
        }

        var started = await StartLockedAsync(new RolloutRequest { Model = state.Model, Version = previous, Source = RolloutSources.Local, Retry = true }).ConfigureAwait(false);
        if (!started.Ok)
        {
            return started;
        }

        var next = await SaveAsync(started.State with
        {
            Kept = [.. started.State.Kept.Where(v => v != demoted)],
            LastVersion = demoted,
            LastOutcome = RolloutOutcomes.RolledBack,
            LastReason = reason,
            LastPackage = state.Packages.GetValueOrDefault(demoted),
            LastDeploymentId = null,
        }).ConfigureAwait(false);
        Record(DeploymentEventTypes.RolledBack, new DeploymentEvent { Revision = 0, Model = state.Model, Version = demoted, Stable = previous, Trigger = trigger, Reason = reason });
        LogRolledBack(state.Model, demoted, previous, reason);
        next = await PruneAsync(next, _stopping).ConfigureAwait(false);
        return new RolloutResult(true, next);
    }

    /// <summary>Removes versions beyond the last K kept (and beyond the disk budget), never the stable one or a candidate.</summary>
    private async Task<RolloutState> PruneAsync(RolloutState state, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(_repository.Root, state.Model);
        if (!Directory.Exists(directory))
        {
            return state;
        }

        var keep = state.Kept.Where(v => Directory.Exists(VersionDirectory(state.Model, v))).Take(Math.Max(1, _options.KeepVersions)).ToList();
        if (_options.MaxModelBytes > 0)
        {
            while (keep.Count > 1 && keep.Sum(v => DirectoryBytes(VersionDirectory(state.Model, v))) > _options.MaxModelBytes)
            {
                keep.RemoveAt(keep.Count - 1);
            }
        }

        var removed = Directory.EnumerateDirectories(directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _) && !keep.Contains(v) && v != state.Candidate && v != state.Stable)
            .ToList();
        if (removed.Count == 0 && keep.SequenceEqual(state.Kept))
        {
            return state;
        }

        var next = await SaveAsync(state with { Kept = keep, Packages = state.Packages.Where(p => keep.Contains(p.Key) || p.Key == state.Candidate).ToDictionary(StringComparer.Ordinal) }).ConfigureAwait(false);
        foreach (var version in removed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DeleteDirectory(VersionDirectory(state.Model, version));
        }

        await PauseAsync(RolloutSteps.Pruned, state.Model, state.Stable ?? "-").ConfigureAwait(false);
        if (removed.Count > 0)
        {
            Record(DeploymentEventTypes.VersionsPruned, new DeploymentEvent { Revision = 0, Model = state.Model, Version = string.Join(",", removed), Stable = state.Stable });
            LogPruned(state.Model, string.Join(", ", removed), string.Join(", ", keep));
        }

        return next;
    }

    private ActiveRollout Active(RolloutState state)
    {
        var spec = state.Spec ?? new RolloutSpec();
        var phase = state.Phase;
        return new ActiveRollout
        {
            Id = state.RolloutId ?? Guid.NewGuid().ToString("N"),
            Model = state.Model,
            Stable = state.Stable ?? state.Candidate!,
            Candidate = state.Candidate!,
            Strategy = spec.Strategy,
            Phase = phase,
            SplitPercent = SplitOf(spec),
            StickyHeader = spec.StickyHeader,
            ShadowSampleRate = phase == RolloutPhases.Mirror ? spec.ShadowSampleRate ?? 1.0 : spec.ShadowSampleRate ?? _options.DefaultShadowSampleRate,
            Guardrails = spec.Guardrails,
        };
    }

    /// <summary>The guardrail trip of the state's rollout, when one tripped and its rollback has not run yet.</summary>
    private GuardrailTrip? TripOf(RolloutState state) =>
        state.RolloutId is { } id && _trips.TryGetValue(id, out var trip) ? trip : null;

    /// <summary>
    /// Records that the hub's ask for a version was refused before staging could begin (a failed download, a conflicting
    /// install), so the device's status tells the hub's fleet rollout, which counts it as failed.
    /// </summary>
    public Task<RolloutResult> RecordRefusalAsync(RolloutRequest request, string step, string reason, CancellationToken cancellationToken = default) =>
        EnqueueAsync(request.Model, async state => RolloutResult.Failure(await RefusedAsync(state, request, step, reason).ConfigureAwait(false), step, reason), cancellationToken);

    private Task<RolloutState> RefusedAsync(RolloutState state, RolloutRequest request, string step, string reason)
    {
        Record(DeploymentEventTypes.StagingFailed, new DeploymentEvent
        {
            Revision = request.Revision ?? 0,
            Model = request.Model,
            Version = request.Version,
            ArtifactId = request.PackageSha256,
            Strategy = request.Spec.Strategy,
            DeploymentId = request.Spec.DeploymentId,
            Stable = state.Stable,
            Step = step,
            Reason = reason,
        });
        return SaveAsync(state with
        {
            LastVersion = request.Version,
            LastOutcome = RolloutOutcomes.Failed,
            LastReason = $"{step}: {reason}",
            LastPackage = request.PackageSha256,
            LastDeploymentId = request.Spec.DeploymentId,
        });
    }

    private double SplitOf(RolloutSpec? spec) => spec?.SplitPercent ?? _options.DefaultSplitPercent;

    private RolloutState Initial(string model)
    {
        // A model the controller has not managed yet: what serves now becomes stable, it and older versions on disk are kept.
        var versions = _repository.Find(model) ?? [];
        var stable = versions.FirstOrDefault(v => v.State == ModelState.Ready)?.Version;
        var directory = Path.Combine(_repository.Root, model);
        var onDisk = Directory.Exists(directory)
            ? Directory.EnumerateDirectories(directory).Select(Path.GetFileName).OfType<string>()
                .Select(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1).Where(n => n >= 0)
            : [];
        // Versions newer than the serving one are not kept for rollback: they never served (they failed to load).
        var kept = onDisk.Where(v => stable is null || v <= stable).OrderDescending().Select(Text).ToList();
        return new RolloutState { Model = model, Stable = stable is { } s ? Text(s) : null, Kept = kept, UpdatedMs = Now() };
    }

    private RolloutState? Load(string model) => DurableFile.Read(StatePath(model), RolloutJsonContext.Default.RolloutState);

    /// <summary>
    /// Makes <paramref name="state"/> durable, lets the repository serve by it, runs <paramref name="apply"/> (the routing
    /// table), and only then shows it to readers and observers.
    /// </summary>
    private async Task<RolloutState> SaveAsync(RolloutState state, Action<RolloutState>? apply = null)
    {
        var saved = state with { UpdatedMs = Now() };
        _saving[state.Model] = Load(state.Model);
        try
        {
            Directory.CreateDirectory(Path.Combine(_repository.Root, state.Model));
            DurableFile.Write(StatePath(state.Model), saved, RolloutJsonContext.Default.RolloutState);
            await RefreshAsync(state.Model).ConfigureAwait(false);
            apply?.Invoke(saved);
        }
        finally
        {
            // Served now (or, when the refresh failed, served once the repository's next scan reads the file).
            _saving.TryRemove(state.Model, out _);
        }

        foreach (var observer in _observers)
        {
            observer.OnRolloutChanged(saved);
        }

        return saved;
    }

    private async Task RefreshAsync(string model)
    {
        try
        {
            await _repository.RefreshAsync(model, _stopping).ConfigureAwait(false);
        }
        catch (Inference.InferenceException ex)
        {
            LogOperationFailed(model, ex.Message);
        }
    }

    private bool IsReady(string model, string version) =>
        _repository.Find(model)?.Any(v => v.State == ModelState.Ready && Text(v.Version) == version) == true;

    /// <summary>Fault injection for crash tests (see <see cref="RolloutOptions.PauseAt"/>).</summary>
    private async Task PauseAsync(string step, string model, string version)
    {
        if (string.Equals(_options.PauseAt, step, StringComparison.Ordinal))
        {
            LogPaused(step, model, version);
            await Task.Delay(Timeout.Infinite, _stopping).ConfigureAwait(false);
        }
    }

    private DeploymentEvent Event(RolloutState state, string version) => new()
    {
        Revision = state.Revision ?? 0,
        Model = state.Model,
        Version = version,
        ArtifactId = state.Package,
        Strategy = state.Spec?.Strategy,
        DeploymentId = state.Spec?.DeploymentId,
    };

    private void Record(string type, DeploymentEvent payload) =>
        _recorder?.Record(TelemetryKind.Event, type, payload.Model, payload.Version, JsonSerializer.Serialize(payload, Contracts.Sync.SyncJsonContext.Default.DeploymentEvent));

    private string StatePath(string model) => Path.Combine(_repository.Root, model, ModelRepository.RolloutFileName);

    private string VersionDirectory(string model, string version) => Path.Combine(_repository.Root, model, version);

    private string PackagePath(string sha256) => Path.Combine(_packageDirectory, sha256 + ".edgepkg");

    private void DeletePackage(string? sha256)
    {
        if (sha256 is not null && File.Exists(PackagePath(sha256)))
        {
            File.Delete(PackagePath(sha256));
        }
    }

    /// <summary>Uploads cut off by a crash, and packages no staging rollout still needs.</summary>
    private void DeleteUnreferencedFiles(IReadOnlyList<RolloutState> states)
    {
        DeleteDirectory(_uploadDirectory);
        if (Directory.Exists(_packageDirectory))
        {
            var needed = states.Where(s => s.Package is not null).Select(s => PackagePath(s.Package!)).ToHashSet(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(_packageDirectory).Where(f => !needed.Contains(f)))
            {
                File.Delete(file);
            }
        }
    }

    private void DeleteStagingLeftovers(RolloutState state)
    {
        var directory = Path.Combine(_repository.Root, state.Model);
        if (Directory.Exists(directory))
        {
            foreach (var leftover in Directory.EnumerateDirectories(directory, ".staging-*"))
            {
                DeleteDirectory(leftover);
            }
        }
    }

    private static IReadOnlyDictionary<string, string> Without(IReadOnlyDictionary<string, string> packages, string? version) =>
        version is null ? packages : packages.Where(p => p.Key != version).ToDictionary(StringComparer.Ordinal);

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static long DirectoryBytes(string path) =>
        Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Text(long version) => version.ToString(CultureInfo.InvariantCulture);


    /// <summary>Work for the single worker: a model's operation, or (model null) the once-a-second tick.</summary>
    private sealed record Operation(string? Model, Func<RolloutState, Task<RolloutResult>>? Run, TaskCompletionSource<RolloutResult>? Done)
    {
        public static Operation Tick { get; } = new(null, null, null);
    }

    [LoggerMessage(EventId = 1740, Level = LogLevel.Information, Message = "Model {Model} version {Version}: {Step} — staging")]
    private partial void LogStep(string model, string version, string step);

    [LoggerMessage(EventId = 1741, Level = LogLevel.Warning, Message = "Model {Model} version {Version} refused at {Step}; version {Stable} keeps serving: {Reason}")]
    private partial void LogStagingFailed(string model, string version, string step, string stable, string reason);

    [LoggerMessage(EventId = 1742, Level = LogLevel.Information, Message = "Model {Model} version {Version} entered phase {Phase} ({Trigger})")]
    private partial void LogPhase(string model, string version, string phase, string trigger);

    [LoggerMessage(EventId = 1743, Level = LogLevel.Information, Message = "Model {Model} version {Version} promoted to stable, replacing {Previous} ({Trigger})")]
    private partial void LogPromoted(string model, string version, string previous, string trigger);

    [LoggerMessage(EventId = 1744, Level = LogLevel.Warning, Message = "Model {Model} version {Version} rolled back; {Stable} serves: {Reason}")]
    private partial void LogRolledBack(string model, string version, string stable, string reason);

    [LoggerMessage(EventId = 1745, Level = LogLevel.Warning, Message = "Model {Model} candidate {Version} tripped a guardrail: {Reason}")]
    private partial void LogTripped(string model, string version, string reason);

    [LoggerMessage(EventId = 1746, Level = LogLevel.Information, Message = "Model {Model}: removed versions {Removed}; kept {Kept}")]
    private partial void LogPruned(string model, string removed, string kept);

    [LoggerMessage(EventId = 1747, Level = LogLevel.Information, Message = "Model {Model}: resuming the rollout of version {Version} in phase {Phase}")]
    private partial void LogResuming(string model, string version, string phase);

    [LoggerMessage(EventId = 1748, Level = LogLevel.Error, Message = "Model {Model}: rollout operation failed, the saved state is unchanged: {Reason}")]
    private partial void LogOperationFailed(string model, string reason);

    [LoggerMessage(EventId = 1749, Level = LogLevel.Warning, Message = "Rollout paused at step {Step} (model {Model} version {Version}) by EdgeRuntime:Rollout:PauseAt")]
    private partial void LogPaused(string step, string model, string version);
}
