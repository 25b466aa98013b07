using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A JSONL file: each line that is not blank is one Open Inference Protocol inference request (JSON tensors), one row
/// whose tensors may hold several rows along their first dimension. The request's <c>id</c> is the row's key, else
/// <c>line N</c>. A line that does not parse, or whose tensors do not fit the model, is an error row.
/// </summary>
internal sealed class JsonlInput : IBatchInput
{
    private const long MaxCountedBytes = 64L << 20;

    private readonly string _path;
    private readonly IReadOnlyList<TensorMetadata> _modelInputs;
    private readonly Lazy<long?> _count;

    public JsonlInput(string path, IReadOnlyList<TensorMetadata> modelInputs)
    {
        _path = path;
        _modelInputs = modelInputs;
        Fingerprint = FileFingerprint.Of(path);
        _count = new Lazy<long?>(() => new FileInfo(_path).Length > MaxCountedBytes ? null : LineReader.CountNonBlank(_path));
    }

    public string Format => "jsonl";

    public string Fingerprint { get; }

    public long? Count => _count.Value;

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        using var reader = LineReader.Open(_path);
        var index = -1L;
        while (reader.TryRead(out var line))
        {
            if (LineReader.IsBlank(line.Span))
            {
                continue;
            }

            index++;
            if (index < fromIndex)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return Row(index, reader.LineNumber, line);
        }
    }

    public void Dispose()
    {
    }

    private BatchRow Row(long index, long lineNumber, ReadOnlyMemory<byte> line)
    {
        var where = $"line {lineNumber}";
        InferenceRequest request;
        try
        {
            request = InferenceRequestReader.Read(line, inferenceHeaderLength: null);
        }
        catch (InferenceException ex)
        {
            return new BatchRow(index, where, $"{where}: {ex.Message}");
        }

        var key = string.IsNullOrEmpty(request.Id) ? where : request.Id;
        var problem = InputCheck.Problem(request.Inputs, _modelInputs, modelName: null) ?? RowsProblem(request.Inputs);
        if (problem is not null)
        {
            request.Dispose();
            return new BatchRow(index, key, $"{where}: {problem}");
        }

        // In the model's order, so every row of a job lists its tensors alike.
        InferenceTensor[] inputs = [.. _modelInputs.Select(m => request.Inputs.First(i => i.Name == m.Name))];
        return new BatchRow(index, key, inputs);
    }

    /// <summary>The tensors of one request must agree on how many rows they hold.</summary>
    private static string? RowsProblem(IReadOnlyList<InferenceTensor> inputs)
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Shape.Length == 0)
            {
                return $"input '{inputs[i].Name}' is a scalar; batch rows need a first dimension that counts them";
            }

            if (inputs[i].Shape[0] == 0)
            {
                return $"input '{inputs[i].Name}' holds no rows (shape {InferenceTensor.FormatShape(inputs[i].Shape)})";
            }

            if (inputs[i].Shape[0] != inputs[0].Shape[0])
            {
                return $"inputs '{inputs[0].Name}' and '{inputs[i].Name}' hold {inputs[0].Shape[0]} and {inputs[i].Shape[0]} rows; a line's inputs must hold the same number";
            }
        }

        return null;
    }
}
