using System.Buffers.Binary;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// Stacks several parts' inputs along the first (batch) dimension into one run and hands each part its own rows of
/// the run's outputs back. The dynamic batcher stacks concurrent requests with it, batch jobs consecutive input rows.
/// </summary>
internal static class TensorStacking
{
    /// <summary>
    /// Whether <paramref name="inputs"/> can share a run with <paramref name="other"/>: the same input names, each with
    /// the same datatype and the same dimensions after the first.
    /// </summary>
    public static bool Fits(IReadOnlyList<InferenceTensor> inputs, IReadOnlyList<InferenceTensor> other)
    {
        if (ReferenceEquals(inputs, other))
        {
            return true;
        }

        if (inputs.Count != other.Count)
        {
            return false;
        }

        foreach (var input in inputs)
        {
            var match = Find(other, input.Name);
            if (match is null
                || match.DataType != input.DataType
                || match.Shape.Length == 0
                || input.Shape.Length == 0
                || !match.Shape.AsSpan(1).SequenceEqual(input.Shape.AsSpan(1)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Stacks the inputs of <paramref name="parts"/> (which must <see cref="Fits"/> each other) along the first
    /// dimension, in order, into pooled buffers; <paramref name="rows"/> is the sum of their first dimensions.
    /// The caller disposes the stacked tensors.
    /// </summary>
    public static InferenceTensor[] Stack<T>(IReadOnlyList<T> parts, Func<T, IReadOnlyList<InferenceTensor>> inputsOf, int rows)
    {
        var template = inputsOf(parts[0]);
        var stacked = new InferenceTensor[template.Count];
        var built = 0;
        try
        {
            for (var i = 0; i < template.Count; i++)
            {
                var name = template[i].Name;
                // Indexed loops: foreach over an IReadOnlyList boxes an enumerator on every run.
                var bytes = 0L;
                for (var p = 0; p < parts.Count; p++)
                {
                    bytes += Input(inputsOf(parts[p]), name).Data.Length;
                }

                var buffer = new PooledBuffer((int)Math.Min(bytes, Array.MaxLength));
                for (var p = 0; p < parts.Count; p++)
                {
                    var data = Input(inputsOf(parts[p]), name).Data.Span;
                    data.CopyTo(buffer.GetSpan(data.Length));
                    buffer.Advance(data.Length);
                }

                long[] shape = [.. template[i].Shape];
                shape[0] = rows;
                stacked[i] = new InferenceTensor(name, template[i].DataType, shape, buffer.WrittenMemory, buffer);
                built++;
            }

            return stacked;
        }
        catch
        {
            for (var i = 0; i < built; i++)
            {
                stacked[i].Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Splits a run's <paramref name="outputs"/> back into <paramref name="parts"/>, in order: each part gets
    /// <paramref name="rowsOf"/> rows of the outputs named by <paramref name="outputNamesOf"/>, in that order (every
    /// output, in order, when it gives null), as views of the run's memory. The parts are read through the selectors
    /// so that a caller allocates nothing per part beyond the slices. Takes ownership of <paramref name="outputs"/>: they
    /// are disposed when the last slice is, or at once when this throws.
    /// </summary>
    /// <exception cref="InferenceException">Internal, when an output's first dimension is not the run's rows (the model cannot be batched).</exception>
    public static InferenceTensor[][] Split<T>(InferenceTensor[] outputs, IReadOnlyList<T> parts, Func<T, int> rowsOf, Func<T, IReadOnlyList<string>?> outputNamesOf, string modelName)
    {
        var shared = new SharedOutputs(outputs);
        var split = new InferenceTensor[parts.Count][];
        try
        {
            var rows = 0;
            for (var p = 0; p < parts.Count; p++)
            {
                rows += rowsOf(parts[p]);
            }

            foreach (var output in outputs)
            {
                if (output.Shape.Length == 0 || output.Shape[0] != rows)
                {
                    throw new InferenceException(
                        InferenceErrorKind.Internal,
                        $"model '{modelName}' returned output '{output.Name}' with shape {InferenceTensor.FormatShape(output.Shape)} for a batch of {rows} rows; it cannot be batched (remove dynamic_batching from its config)");
                }
            }

            var offsets = new RowOffsets[outputs.Length];
            for (var i = 0; i < outputs.Length; i++)
            {
                offsets[i] = new RowOffsets(outputs[i], rows);
            }

            var row = 0;
            for (var p = 0; p < split.Length; p++)
            {
                var part = parts[p];
                var partRows = rowsOf(part);
                var wanted = outputNamesOf(part);
                var slices = new InferenceTensor[wanted?.Count ?? outputs.Length];
                for (var i = 0; i < slices.Length; i++)
                {
                    var index = wanted is null ? i : IndexOf(outputs, wanted[i]);
                    var output = outputs[index];
                    long[] shape = [.. output.Shape];
                    shape[0] = partRows;
                    var (start, length) = offsets[index].Range(row, partRows);
                    slices[i] = new InferenceTensor(output.Name, output.DataType, shape, output.Data.Slice(start, length), shared.Share());
                }

                row += partRows;
                split[p] = slices;
            }

            return split;
        }
        catch
        {
            foreach (var slices in split)
            {
                foreach (var slice in slices ?? [])
                {
                    slice.Dispose();
                }
            }

            throw;
        }
        finally
        {
            shared.Release();
        }
    }

    private static int IndexOf(InferenceTensor[] outputs, string name)
    {
        for (var i = 0; i < outputs.Length; i++)
        {
            if (outputs[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"output '{name}' is missing from the run's outputs");
    }

    private static InferenceTensor? Find(IReadOnlyList<InferenceTensor> inputs, string name)
    {
        foreach (var input in inputs)
        {
            if (input.Name == name)
            {
                return input;
            }
        }

        return null;
    }

    private static InferenceTensor Input(IReadOnlyList<InferenceTensor> inputs, string name) =>
        Find(inputs, name) ?? throw new InvalidOperationException($"input '{name}' vanished from a validated request");

    /// <summary>Where each row of one output starts in its bytes (variable for BYTES, fixed otherwise).</summary>
    private readonly struct RowOffsets
    {
        private readonly int _rowBytes;
        private readonly int[]? _starts;

        public RowOffsets(InferenceTensor output, int rows)
        {
            if (output.DataType != TensorDataType.Bytes)
            {
                _rowBytes = output.Data.Length / rows;
                return;
            }

            // BYTES elements are length-prefixed: walk them to find where each row begins.
            var perRow = output.ElementCount / rows;
            _starts = new int[rows + 1];
            var data = output.Data.Span;
            var offset = 0;
            for (var element = 0L; element < output.ElementCount; element++)
            {
                if (element % perRow == 0)
                {
                    _starts[element / perRow] = offset;
                }

                offset += 4 + (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            }

            _starts[rows] = offset;
        }

        public (int Start, int Length) Range(int row, int count) => _starts is null
            ? (row * _rowBytes, count * _rowBytes)
            : (_starts[row], _starts[row + count] - _starts[row]);
    }

    /// <summary>A run's output tensors, disposed when the last part's slice of them is.</summary>
    private sealed class SharedOutputs(InferenceTensor[] outputs)
    {
        private int _references = 1;

        public IDisposable Share()
        {
            Interlocked.Increment(ref _references);
            return new Handle(this);
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                foreach (var output in outputs)
                {
                    output.Dispose();
                }
            }
        }

        private sealed class Handle(SharedOutputs owner) : IDisposable
        {
            private SharedOutputs? _owner = owner;

            public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
        }
    }
}
