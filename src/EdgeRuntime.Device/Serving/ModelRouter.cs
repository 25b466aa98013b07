using System.Diagnostics;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// The serving entry point: routes a decoded request to the session of the model version it names, then
/// through the response cache (models that opted in) and the dynamic batcher (models that are batched)
/// to the session itself. The response holds the session's lease until it is disposed, because its
/// outputs live in that session's memory.
/// </summary>
public sealed class ModelRouter
{
    private readonly ModelRepository _repository;
    private readonly ResponseCache _cache;
    private readonly DriftDetector _drift;

    public ModelRouter(ModelRepository repository, ResponseCache cache, DriftDetector drift)
    {
        _repository = repository;
        _cache = cache;
        _drift = drift;
    }

    /// <summary>Runs <paramref name="request"/> on <paramref name="model"/> (at <paramref name="version"/>, or the newest ready one).</summary>
    /// <exception cref="InferenceException">The request does not fit, the model is missing or busy, or the run failed.</exception>
    public async ValueTask<InferenceResponse> InferAsync(string model, string? version, InferenceRequest request, CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        var session = _repository.Acquire(model, version);
        try
        {
            var response = await InferOnAsync(session, model, request, cancellationToken).ConfigureAwait(false);
            _drift.Observe(session, request, response);
            response.Owner = new Lease(session);
            session.Statistics.Success.AddSince(start);
            return response;
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException)
            {
                session.Statistics.Fail.AddSince(start);
            }

            session.Release();
            throw;
        }
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

            session.Statistics.CacheMiss.AddSince(lookup);
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

    private static int RowsOf(InferenceRequest request) =>
        request.Inputs.Count > 0 && request.Inputs[0].Shape.Length > 0 ? (int)Math.Max(1, request.Inputs[0].Shape[0]) : 1;

    private sealed class Lease(ModelSession session) : IDisposable
    {
        private ModelSession? _session = session;

        public void Dispose() => Interlocked.Exchange(ref _session, null)?.Release();
    }
}
