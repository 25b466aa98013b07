namespace EdgeRuntime.Device.Inference;

/// <summary>The result of one inference: the outputs asked for, owning their buffers until disposed.</summary>
public sealed class InferenceResponse : IDisposable
{
    private IDisposable? _owner;

    public required string ModelName { get; init; }

    public string? ModelVersion { get; init; }

    public string? Id { get; init; }

    public IReadOnlyDictionary<string, ParameterValue>? Parameters { get; init; }

    public required IReadOnlyList<InferenceTensor> Outputs { get; init; }

    /// <summary>
    /// What must outlive the outputs, such as the lease on the session whose memory they live in;
    /// released after them.
    /// </summary>
    public IDisposable? Owner
    {
        get => _owner;
        set => _owner = value;
    }

    public void Dispose()
    {
        foreach (var output in Outputs)
        {
            output.Dispose();
        }

        Interlocked.Exchange(ref _owner, null)?.Dispose();
    }
}
