namespace EdgeRuntime.Device.Inference;

/// <summary>The result of one inference: the outputs asked for, owning their buffers until disposed.</summary>
public sealed class InferenceResponse : IDisposable
{
    public required string ModelName { get; init; }

    public string? ModelVersion { get; init; }

    public string? Id { get; init; }

    public IReadOnlyDictionary<string, ParameterValue>? Parameters { get; init; }

    public required IReadOnlyList<InferenceTensor> Outputs { get; init; }

    public void Dispose()
    {
        foreach (var output in Outputs)
        {
            output.Dispose();
        }
    }
}
