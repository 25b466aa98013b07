using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// Sees every answered request with its answer, after the model ran and before the caller gets it (drift
/// detection and prediction sampling). Runs on the request path: quick, bounded, never throws.
/// </summary>
public interface IPredictionObserver
{
    void Observe(ModelSession session, InferenceRequest request, InferenceResponse response);
}
