using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// The shape a row of flat values takes for a model input: <c>[1, ...the input's shape after the first dimension]</c>,
/// with a dynamic dimension there worked out from the number of values. A rank-1 input (<c>[-1]</c>) takes one value
/// per row, as shape <c>[1]</c>.
/// </summary>
internal static class RowShape
{
    /// <summary>
    /// The shape of a row of <paramref name="values"/> values of <paramref name="input"/>, read from
    /// <paramref name="source"/> (for the message). <paramref name="dataDims"/>, when the data has its own row shape (a
    /// .npy array's dimensions after the first), is taken as it is when it fits the input.
    /// </summary>
    /// <exception cref="BatchInputException">The rows cannot fill the input, with the reason.</exception>
    public static long[] Resolve(TensorMetadata input, long values, ReadOnlySpan<long> dataDims, string source)
    {
        var shape = input.Shape;
        if (shape.Length == 0)
        {
            throw new BatchInputException($"input '{input.Name}' is a scalar; batch rows need an input whose first dimension counts them");
        }

        if (shape[0] > 1)
        {
            throw new BatchInputException(
                $"input '{input.Name}' has shape {InferenceTensor.FormatShape(shape)}: its first dimension is fixed at {shape[0]}, so rows of one cannot fill it");
        }

        var rest = shape.AsSpan(1);
        if (rest.Length == 0)
        {
            return values == 1 ? [1] : throw Mismatch(input, values, source, "one value per row");
        }

        if (dataDims.Length == rest.Length && InputCheck.ShapeFits(dataDims, rest))
        {
            return [1, .. dataDims];
        }

        long known = 1;
        var dynamic = -1;
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] >= 0)
            {
                known *= rest[i];
            }
            else if (dynamic >= 0)
            {
                throw Mismatch(input, values, source, "several dynamic dimensions after the first, which flat rows do not say how to fill");
            }
            else
            {
                dynamic = i;
            }
        }

        long[] resolved = [1, .. rest];
        if (dynamic < 0)
        {
            return known == values ? resolved : throw Mismatch(input, values, source, $"{known} values per row");
        }

        if (known == 0 || values % known != 0 || values == 0)
        {
            throw Mismatch(input, values, source, $"a multiple of {known} values per row");
        }

        resolved[dynamic + 1] = values / known;
        return resolved;
    }

    private static BatchInputException Mismatch(TensorMetadata input, long values, string source, string needs) =>
        new($"{source} gives rows of {values} value(s), but the model's input '{input.Name}' has shape {InferenceTensor.FormatShape(input.Shape)} ({needs})");
}
