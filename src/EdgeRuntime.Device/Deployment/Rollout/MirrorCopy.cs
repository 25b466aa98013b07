using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// A request copied to a rollout's candidate, with the stable version's answer to compare against. Both are deep
/// copies in pooled buffers: the caller's request body and the stable session's outputs are freed as soon as the
/// caller has its answer, long before the mirror worker gets to this.
/// </summary>
internal sealed class MirrorCopy : IDisposable
{
    public MirrorCopy(ActiveRollout rollout, GuardrailMonitor monitor, InferenceRequest request, InferenceTensor[] stableOutputs)
    {
        Rollout = rollout;
        Monitor = monitor;
        Request = request;
        StableOutputs = stableOutputs;
    }

    public ActiveRollout Rollout { get; }

    public GuardrailMonitor Monitor { get; }

    public InferenceRequest Request { get; }

    public InferenceTensor[] StableOutputs { get; }

    /// <summary>Copies <paramref name="request"/> and <paramref name="stable"/>'s outputs out of the memory they borrow.</summary>
    public static MirrorCopy Of(ActiveRollout rollout, GuardrailMonitor monitor, InferenceRequest request, InferenceResponse stable)
    {
        var inputs = new List<InferenceTensor>(request.Inputs.Count);
        var outputs = new List<InferenceTensor>(stable.Outputs.Count);
        try
        {
            foreach (var input in request.Inputs)
            {
                inputs.Add(Copy(input));
            }

            foreach (var output in stable.Outputs)
            {
                outputs.Add(Copy(output));
            }
        }
        catch
        {
            foreach (var tensor in inputs.Concat(outputs))
            {
                tensor.Dispose();
            }

            throw;
        }

        var copy = new InferenceRequest
        {
            Id = request.Id,
            Parameters = request.Parameters,
            Inputs = inputs,
            Outputs = request.Outputs,
            BinaryDataOutput = request.BinaryDataOutput,
        };
        return new MirrorCopy(rollout, monitor, copy, [.. outputs]);
    }

    public void Dispose()
    {
        Request.Dispose();
        foreach (var output in StableOutputs)
        {
            output.Dispose();
        }
    }

    private static InferenceTensor Copy(InferenceTensor tensor)
    {
        var buffer = new PooledBuffer(tensor.Data.Length);
        tensor.Data.Span.CopyTo(buffer.GetSpan(tensor.Data.Length));
        buffer.Advance(tensor.Data.Length);
        return new InferenceTensor(tensor.Name, tensor.DataType, [.. tensor.Shape], buffer.WrittenMemory, buffer);
    }
}
