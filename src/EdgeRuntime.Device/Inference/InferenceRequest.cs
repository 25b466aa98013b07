namespace EdgeRuntime.Device.Inference;

/// <summary>An inference request as the Open Inference Protocol defines it, decoded from JSON or binary form.</summary>
public sealed class InferenceRequest : IDisposable
{
    private IDisposable? _bodyOwner;

    /// <summary>The caller's request id, echoed in the response.</summary>
    public string? Id { get; init; }

    /// <summary>Request parameters other than the binary extension's own (<c>binary_data_output</c>).</summary>
    public IReadOnlyDictionary<string, ParameterValue>? Parameters { get; init; }

    public required IReadOnlyList<InferenceTensor> Inputs { get; init; }

    /// <summary>The outputs asked for, in order; null means every output of the model.</summary>
    public IReadOnlyList<RequestedOutput>? Outputs { get; init; }

    /// <summary>The request-level <c>binary_data_output</c> parameter.</summary>
    public bool BinaryDataOutput { get; init; }

    /// <summary>Whether the named output goes back as binary data: its own <c>binary_data</c>, else the request's default.</summary>
    public bool WantsBinary(string outputName)
    {
        if (Outputs is not null)
        {
            foreach (var output in Outputs)
            {
                if (output.Name == outputName && output.Binary is { } binary)
                {
                    return binary;
                }
            }
        }

        return BinaryDataOutput;
    }

    /// <summary>Hands the request the buffer its binary inputs point into, to be returned when it is disposed.</summary>
    public void AttachBody(IDisposable owner) => _bodyOwner = owner;

    public void Dispose()
    {
        foreach (var input in Inputs)
        {
            input.Dispose();
        }

        Interlocked.Exchange(ref _bodyOwner, null)?.Dispose();
    }
}

/// <summary>An output the caller asked for, with its <c>binary_data</c> parameter when given.</summary>
public sealed record RequestedOutput(string Name, bool? Binary = null, IReadOnlyDictionary<string, ParameterValue>? Parameters = null);
