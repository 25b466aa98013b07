namespace EdgeRuntime.Device.Inference;

/// <summary>
/// Told about every request and run of one model version as it happens (telemetry's metric series listen
/// this way). Called on the request path: implementations must be lock-free and quick.
/// </summary>
public interface IInferenceObserver
{
    /// <summary>A request was answered; it took <paramref name="nanoseconds"/> from routing to response.</summary>
    void OnSuccess(long nanoseconds);

    /// <summary>A request failed for <paramref name="reason"/> (see <see cref="FailureReasons"/>).</summary>
    void OnFailure(string reason, long nanoseconds);

    /// <summary>A request left the batcher's queue after <paramref name="nanoseconds"/>.</summary>
    void OnQueued(long nanoseconds);

    /// <summary>One run of <paramref name="batchSize"/> rows, by stage.</summary>
    void OnExecuted(int batchSize, long inputNanoseconds, long inferNanoseconds, long outputNanoseconds);

    /// <summary>A response cache lookup.</summary>
    void OnCacheLookup(bool hit, long nanoseconds);
}
