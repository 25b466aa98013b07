using System.Collections.Concurrent;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// What happens to live requests while a candidate version takes traffic: which side answers a split request
/// (sticky on a caller's key when the rollout names a header), which requests are copied to the candidate in the
/// mirror and shadow phases (a bounded queue that drops rather than waits), and the guardrails that roll a bad
/// candidate back. The router asks it about every unversioned request of a model in the <see cref="RolloutTable"/>;
/// the rollout controller reads <see cref="Observe(string)"/> and calls <see cref="Tick"/> every second.
/// </summary>
public sealed partial class RolloutTraffic
{
    /// <summary>Sticky splits hash a caller into one of this many buckets: 0.01 % steps.</summary>
    internal const int Buckets = 10_000;

    /// <summary>How many <see cref="Tick"/>s a finished rollout's figures stay readable through <see cref="Observe(ActiveRollout)"/>.</summary>
    internal const int FinishedRetentionTicks = 300;

    private readonly ConcurrentDictionary<string, GuardrailMonitor> _monitors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _finishedAt = new(StringComparer.Ordinal);
    private readonly Channel<MirrorCopy> _copies = Channel.CreateUnbounded<MirrorCopy>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IEnumerable<IRolloutTripHandler> _tripHandlerSource;
    private IRolloutTripHandler[]? _tripHandlers;
    private readonly DriftDetector? _drift;
    private readonly DeviceMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private int _queued;
    private long _ticks;

    /// <remarks>
    /// <paramref name="tripHandlers"/> is enumerated at the first trip, not here, so that a handler may itself depend
    /// on this class (the rollout controller does) when the container hands over a deferred sequence.
    /// </remarks>
    public RolloutTraffic(
        RolloutTable table,
        IOptions<RolloutOptions> options,
        IEnumerable<IRolloutTripHandler> tripHandlers,
        ILogger<RolloutTraffic> logger,
        DriftDetector? drift = null,
        DeviceMetrics? metrics = null)
    {
        Table = table;
        _capacity = options.Value.MirrorQueueCapacity;
        _tripHandlerSource = tripHandlers;
        _logger = logger;
        _drift = drift;
        _metrics = metrics;
    }

    /// <summary>The rollouts taking traffic now.</summary>
    public RolloutTable Table { get; }

    /// <summary>Mirrored copies waiting for the candidate now.</summary>
    public int MirrorQueueDepth => Math.Max(0, Volatile.Read(ref _queued));

    /// <summary>The copies for <see cref="RolloutMirrorWorker"/> to run on the candidate.</summary>
    internal ChannelReader<MirrorCopy> Copies => _copies.Reader;

    /// <summary>What the candidate and the stable version have shown in the model's current rollout; null when it has none.</summary>
    public RolloutObservation? Observe(string model) => Table.Find(model) is { } rollout ? MonitorFor(rollout).Observe() : null;

    /// <summary>
    /// What <paramref name="rollout"/> (by its id) has shown, also shortly after it left the table (to report the
    /// figures of a rollback or promotion); null when it never took traffic or ended long ago.
    /// </summary>
    public RolloutObservation? Observe(ActiveRollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return _monitors.TryGetValue(rollout.Id, out var monitor) ? monitor.Observe() : null;
    }

    /// <summary>
    /// Checks every active rollout's guardrails, drift included (which only this checks), and forgets rollouts that
    /// ended a while ago. The rollout controller calls it every second.
    /// </summary>
    public void Tick()
    {
        var tick = Interlocked.Increment(ref _ticks);
        var active = Table.All;
        IReadOnlyList<DriftReport>? drift = null;
        foreach (var rollout in active)
        {
            var monitor = MonitorFor(rollout);
            if (monitor.Tripped)
            {
                continue;
            }

            DriftReport? candidateDrift = null;
            if (rollout.Guardrails.RollbackOnDrift && _drift is not null)
            {
                drift ??= _drift.Latest;
                candidateDrift = drift.FirstOrDefault(r => r.Model == rollout.Model && r.Version == rollout.Candidate);
            }

            if (monitor.Evaluate(candidateDrift) is { } trip)
            {
                Trip(monitor, trip);
            }
        }

        foreach (var (id, monitor) in _monitors)
        {
            if (active.Any(r => r.Id == id))
            {
                _finishedAt.TryRemove(id, out _);
            }
            else if (tick - _finishedAt.GetOrAdd(id, tick) >= FinishedRetentionTicks)
            {
                _monitors.TryRemove(new KeyValuePair<string, GuardrailMonitor>(id, monitor));
                _finishedAt.TryRemove(id, out _);
            }
        }
    }

    /// <summary>
    /// Whether a split request goes to the candidate: by <paramref name="routingKey"/>'s bucket when the rollout is
    /// sticky and the caller sent one (so a caller always lands on the same side of this rollout), else at random.
    /// </summary>
    internal static bool ChoosesCandidate(ActiveRollout rollout, string? routingKey)
    {
        if (rollout.SplitPercent <= 0)
        {
            return false;
        }

        if (rollout.SplitPercent >= 100)
        {
            return true;
        }

        return rollout.StickyHeader is not null && !string.IsNullOrEmpty(routingKey)
            ? BucketOf(rollout.Id, routingKey) < rollout.SplitPercent * (Buckets / 100)
            : Random.Shared.NextDouble() * 100 < rollout.SplitPercent;
    }

    /// <summary>
    /// A stable hash of (rollout id, key) into [0, <see cref="Buckets"/>): FNV-1a over both strings' UTF-8 bytes,
    /// mixed with MurmurHash3's finalizer so that nearby keys spread. The same on every device and every run, so a
    /// caller stays on its side across restarts; a new rollout (new id) shuffles callers afresh.
    /// </summary>
    internal static int BucketOf(string rolloutId, string key)
    {
        const ulong offset = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offset;
        hash = Fnv(hash, rolloutId);
        hash = (hash ^ 0xFF) * prime;
        hash = Fnv(hash, key);
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCD;
        hash ^= hash >> 33;
        hash *= 0xC4CEB9FE1A85EC53;
        hash ^= hash >> 33;
        return (int)(hash % Buckets);

        static ulong Fnv(ulong hash, string text)
        {
            Span<byte> utf8 = stackalloc byte[256];
            foreach (var rune in text.EnumerateRunes())
            {
                var length = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < length; i++)
                {
                    hash = (hash ^ utf8[i]) * prime;
                }
            }

            return hash;
        }
    }

    /// <summary>The figures of <paramref name="rollout"/>'s id, created on its first request.</summary>
    internal GuardrailMonitor MonitorFor(ActiveRollout rollout)
    {
        var monitor = _monitors.GetOrAdd(rollout.Id, static (_, state) => new GuardrailMonitor(state.rollout, state.metrics), (rollout, metrics: _metrics));
        if (!ReferenceEquals(monitor.Rollout, rollout) && ReferenceEquals(Table.Find(rollout.Model), rollout))
        {
            // A new phase of the same rollout: its guardrails apply from now on. Only the table's current entry is
            // taken, so a request that read the table just before the change cannot put the old phase back.
            monitor.Rollout = rollout;
        }

        return monitor;
    }

    /// <summary>Counts one request that <paramref name="candidate"/> (or the stable version) answered, or failed with <paramref name="failure"/>.</summary>
    internal void Record(GuardrailMonitor monitor, bool candidate, long nanoseconds, Exception? failure)
    {
        if (failure is not null && IsCallersFault(failure))
        {
            // A malformed request or a caller that left says nothing about the version it was sent to.
            return;
        }

        var trip = candidate ? monitor.RecordCandidate(nanoseconds, failure is not null) : monitor.RecordStable(nanoseconds, failure is not null);
        if (trip is not null)
        {
            Trip(monitor, trip);
        }
    }

    /// <summary>
    /// Decides, before anything is copied, whether this request is mirrored: sampled at the rollout's rate, and only
    /// when the queue has room (else the copy is dropped and counted). True reserves a place in the queue, which
    /// <see cref="Mirror"/> fills or <see cref="CancelMirror"/> gives back.
    /// </summary>
    internal bool TryReserveMirror(ActiveRollout rollout, GuardrailMonitor monitor)
    {
        var rate = rollout.ShadowSampleRate;
        if (rate <= 0 || (rate < 1 && Random.Shared.NextDouble() >= rate))
        {
            return false;
        }

        if (Interlocked.Increment(ref _queued) > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            if (monitor.RecordDropped())
            {
                LogMirrorDropping(rollout.Model, rollout.Candidate, rollout.Id, _capacity);
            }

            return false;
        }

        return true;
    }

    /// <summary>Queues a deep copy of <paramref name="request"/> and the stable <paramref name="response"/> for the candidate, in the place reserved for it.</summary>
    internal void Mirror(ActiveRollout rollout, GuardrailMonitor monitor, InferenceRequest request, InferenceResponse response)
    {
        MirrorCopy copy;
        try
        {
            copy = MirrorCopy.Of(rollout, monitor, request, response);
        }
        catch (Exception ex)
        {
            // The caller has its answer; a copy that cannot be made (out of memory) is a dropped copy, not a failed request.
            CancelMirror();
            monitor.RecordDropped();
            LogMirrorCopyFailed(rollout.Model, ex);
            return;
        }

        if (!_copies.Writer.TryWrite(copy))
        {
            CancelMirror();
            copy.Dispose();
        }
    }

    /// <summary>Gives back a place reserved by <see cref="TryReserveMirror"/> that no copy will fill.</summary>
    internal void CancelMirror() => Interlocked.Decrement(ref _queued);

    /// <summary>The worker took a copy off the queue: its place is free again.</summary>
    internal void Dequeued() => Interlocked.Decrement(ref _queued);

    /// <summary>Whether <paramref name="copy"/>'s rollout still takes traffic (a rolled-back candidate runs no more copies).</summary>
    internal bool IsCurrent(MirrorCopy copy) => !copy.Monitor.Tripped && Table.Find(copy.Rollout.Model)?.Id == copy.Rollout.Id;

    /// <summary>Counts the candidate's answer to a mirrored request and compares it with the stable one.</summary>
    internal void RecordMirrored(MirrorCopy copy, long nanoseconds, IReadOnlyList<InferenceTensor> candidateOutputs)
    {
        var comparison = OutputComparer.Compare(copy.StableOutputs, candidateOutputs, copy.Monitor.Rollout.Guardrails.AgreementTolerance);
        if (copy.Monitor.RecordMirrored(nanoseconds, comparison) is { } trip)
        {
            Trip(copy.Monitor, trip);
        }
    }

    /// <summary>Counts a mirrored request the candidate failed; whatever the reason, the stable version had answered it.</summary>
    internal void RecordMirrorFailure(MirrorCopy copy, long nanoseconds)
    {
        if (copy.Monitor.RecordMirrorFailure(nanoseconds) is { } trip)
        {
            Trip(copy.Monitor, trip);
        }
    }

    private static bool IsCallersFault(Exception exception) =>
        exception is OperationCanceledException or InferenceException { Kind: InferenceErrorKind.BadRequest or InferenceErrorKind.TooLarge };

    private void Trip(GuardrailMonitor monitor, GuardrailTrip trip)
    {
        if (!monitor.TryTrip())
        {
            return;
        }

        var rollout = monitor.Rollout;
        LogTripped(rollout.Model, rollout.Candidate, rollout.Id, trip.Guardrail, trip.Reason);
        foreach (var handler in _tripHandlers ??= [.. _tripHandlerSource])
        {
            try
            {
                handler.OnTrip(rollout, trip);
            }
            catch (Exception ex)
            {
                // One handler's failure must not keep the others (the controller's rollback) from hearing of it.
                LogTripHandlerFailed(handler.GetType().Name, rollout.Model, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1720, Level = LogLevel.Warning, Message = "Model {Model}: candidate version {Candidate} of rollout {RolloutId} tripped the {Guardrail} guardrail: {Reason}")]
    private partial void LogTripped(string model, string candidate, string rolloutId, string guardrail, string reason);

    [LoggerMessage(EventId = 1721, Level = LogLevel.Error, Message = "Rollout trip handler {Handler} failed for model {Model}")]
    private partial void LogTripHandlerFailed(string handler, string model, Exception exception);

    [LoggerMessage(EventId = 1722, Level = LogLevel.Information, Message = "Model {Model}: candidate version {Candidate} of rollout {RolloutId} is behind its mirrored requests; copies are dropped while the mirror queue is full ({Capacity}); further drops are counted, not logged")]
    private partial void LogMirrorDropping(string model, string candidate, string rolloutId, int capacity);

    [LoggerMessage(EventId = 1723, Level = LogLevel.Warning, Message = "Model {Model}: a request could not be copied for the candidate; counted as dropped")]
    private partial void LogMirrorCopyFailed(string model, Exception exception);
}
