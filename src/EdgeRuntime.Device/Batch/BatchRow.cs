using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// One row of a batch job's input: its tensors (first dimension = the rows it holds, usually 1) or, when the row
/// could not be read or does not fit the model, the error that is recorded for it instead of a result.
/// </summary>
public sealed class BatchRow : IDisposable
{
    public BatchRow(long index, string key, IReadOnlyList<InferenceTensor> inputs)
    {
        Index = index;
        Key = key;
        Inputs = inputs;
    }

    public BatchRow(long index, string key, string error)
    {
        Index = index;
        Key = key;
        Inputs = [];
        Error = error;
    }

    /// <summary>The row's 0-based position in the input, the same on every run (a resumed job skips by it).</summary>
    public long Index { get; }

    /// <summary>What a person finds the row by in the results: the key column's value, "line 12", a file name, an array index.</summary>
    public string Key { get; }

    /// <summary>The model inputs; empty when <see cref="Error"/> is set.</summary>
    public IReadOnlyList<InferenceTensor> Inputs { get; }

    /// <summary>Why the row has no inputs (malformed, wrong shape, undecodable image); null for a good row.</summary>
    public string? Error { get; }

    /// <summary>The rows the tensors hold along their first dimension (0 for an error row).</summary>
    public int Rows => Inputs.Count == 0 || Inputs[0].Shape.Length == 0 ? (Inputs.Count == 0 ? 0 : 1) : (int)Inputs[0].Shape[0];

    public void Dispose()
    {
        foreach (var tensor in Inputs)
        {
            tensor.Dispose();
        }
    }
}
