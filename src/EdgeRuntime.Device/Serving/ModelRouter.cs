using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// The serving entry point: routes a decoded request to the session of the model version it names and
/// runs it. The response holds the session's lease until it is disposed, because its outputs live in
/// that session's memory.
/// </summary>
public sealed class ModelRouter
{
    private readonly ModelRepository _repository;

    public ModelRouter(ModelRepository repository)
    {
        _repository = repository;
    }

    /// <summary>Runs <paramref name="request"/> on <paramref name="model"/> (at <paramref name="version"/>, or the newest ready one).</summary>
    public InferenceResponse Infer(string model, string? version, InferenceRequest request, CancellationToken cancellationToken = default)
    {
        var session = _repository.Acquire(model, version);
        try
        {
            var response = session.Run(request, model, cancellationToken);
            response.Owner = new Lease(session);
            return response;
        }
        catch
        {
            session.Release();
            throw;
        }
    }

    /// <summary>Leases the session for metadata questions; dispose the lease when done.</summary>
    public ModelSession Describe(string model, string? version) => _repository.Acquire(model, version);

    private sealed class Lease(ModelSession session) : IDisposable
    {
        private ModelSession? _session = session;

        public void Dispose() => Interlocked.Exchange(ref _session, null)?.Release();
    }
}
