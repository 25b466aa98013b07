using System.Diagnostics;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// The serving entry point: routes a decoded request to the session of the model version it names, then
/// through the response cache (models that opted in) and the dynamic batcher (models that are batched)
/// to the session itself. The response holds the session's lease until it is disposed, because its
/// outputs live in that session's memory. While a model has a rollout taking traffic, its unversioned
/// requests go where <see cref="RolloutTraffic"/> says: split between the stable and the candidate
/// version, or answered by the stable one and copied to the candidate.
/// </summary>
public sealed class ModelRouter
{
    private readonly ModelRepository _repository;
    private readonly ResponseCache _cache;
    private readonly IPredictionObserver[] _observers;
    private readonly RolloutTraffic? _traffic;
    private readonly RolloutTable? _rollouts;

    public ModelRouter(ModelRepository repository, ResponseCache cache, IEnumerable<IPredictionObserver>? observers = null, RolloutTraffic? traffic = null)
    {
        _repository = repository;
        _cache = cache;
        _observers = observers?.ToArray() ?? [];
        _traffic = traffic;
        _rollouts = traffic?.Table;
    }

    /// <summary>The rollouts taking traffic, when this router routes them; null when it serves without rollouts.</summary>
    public RolloutTable? Rollouts => _rollouts;

    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="model"/> at <paramref name="version"/>; without a version, on
    /// the version its rollout picks, else the newest ready one. The response's <see cref="InferenceResponse.ModelVersion"/>
    /// is the version that answered. <paramref name="routingKey"/> is the value of the rollout's sticky header, if any.
    /// </summary>
    /// <exception cref="InferenceException">The request does not fit, the model is missing or busy, or the run failed.</exception>
    public ValueTask<InferenceResponse> InferAsync(string model, string? version, InferenceRequest request, CancellationToken cancellationToken = default, string? routingKey = null)
    {
        // One read of an empty table is all a device without a rollout pays.
        if (version is null && _rollouts is { IsEmpty: false } rollouts && rollouts.Find(model) is { } rollout)
        {
            return InferInRolloutAsync(rollout, request, routingKey, cancellationToken);
        }

        return InferVersionAsync(model, version, request, cancellationToken);
    }

    /// <summary>Leases the session for metadata questions; dispose the lease when done.</summary>
    public ModelSession Describe(string model, string? version) => _repository.Acquire(model, version);

    /// <summary>The batcher of a batched model's session, created on first use; null when the model is not batched.</summary>
    public static DynamicBatcher? BatcherOf(ModelSession session) =>
        session.Config?.DynamicBatching is null
            ? null
            : session.GetOrAttach(static s => new DynamicBatcher(
                s,
                BatchingOptions.From(s.Config, s.Inputs, s.Outputs) ?? throw new InvalidOperationException("dynamic_batching vanished from the config")));

    private async ValueTask<InferenceResponse> InferInRolloutAsync(ActiveRollout rollout, InferenceRequest request, string? routingKey, CancellationToken cancellationToken)
    {
        var traffic = _traffic!;
        var monitor = traffic.MonitorFor(rollout);
        // A tripped candidate gets nothing more, even before the controller has taken its rollout out of the table.
        var open = !monitor.Tripped;
        var candidate = open && rollout.CandidateAnswers && RolloutTraffic.ChoosesCandidate(rollout, routingKey);

        // Decided before the stable run and before anything is copied: a full queue costs the caller nothing.
        var mirrored = open && rollout.Mirrors && traffic.TryReserveMirror(rollout, monitor);
        var start = Stopwatch.GetTimestamp();
        InferenceResponse response;
        try
        {
            response = await InferVersionAsync(rollout.Model, candidate ? rollout.Candidate : rollout.Stable, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            traffic.Record(monitor, candidate, ElapsedNanoseconds(start), ex);
            if (mirrored)
            {
                traffic.CancelMirror();
            }

            throw;
        }

        traffic.Record(monitor, candidate, ElapsedNanoseconds(start), failure: null);
        if (mirrored)
        {
            traffic.Mirror(rollout, monitor, request, response);
        }

        return response;
    }

    private async ValueTask<InferenceResponse> InferVersionAsync(string model, string? version, InferenceRequest request, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var session = _repository.Acquire(model, version);
        try
        {
            var response = await InferOnAsync(session, model, request, cancellationToken).ConfigureAwait(false);
            response.Owner = new Lease(session);
            foreach (var observer in _observers)
            {
                observer.Observe(session, request, response);
            }

            session.Statistics.RecordSuccess(start);
            return response;
        }
        catch (Exception ex)
        {
            session.Statistics.RecordFailure(start, ex);
            session.Release();
            throw;
        }
    }

    private async ValueTask<InferenceResponse> InferOnAsync(ModelSession session, string model, InferenceRequest request, CancellationToken cancellationToken)
    {
        CacheKey? key = null;
        if (_cache.IsEnabledFor(session))
        {
            var lookup = Stopwatch.GetTimestamp();
            key = ResponseCache.KeyOf(session, request, session.Validate(request));
            if (_cache.TryGet(key.Value, model, session.Version, request) is { } cached)
            {
                session.Statistics.RecordCacheHit(lookup, RowsOf(request));
                return cached;
            }

            session.Statistics.RecordCacheMiss(lookup);
        }

        var response = BatcherOf(session) is { } batcher
            ? await batcher.InferAsync(request, model, cancellationToken).ConfigureAwait(false)
            : await session.RunAsync(request, model, cancellationToken).ConfigureAwait(false);
        if (key is { } missed)
        {
            _cache.Add(missed, response);
        }

        return response;
    }

    private static long ElapsedNanoseconds(long start) => (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;

    private static int RowsOf(InferenceRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Max(1, request.Inputs[0].Shape[0]) : 1;

    private sealed class Lease(ModelSession session) : IDisposable
    {
        private ModelSession? _session = session;

        public void Dispose() => Interlocked.Exchange(ref _session, null)?.Release();
    }
}
