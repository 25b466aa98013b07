namespace EdgeRuntime.Device.Inference;

/// <summary>
/// Whether a set of tensors fits a model's inputs: every name known and given once, each with the model's datatype and
/// a shape that matches every fixed dimension, and no input missing. Online requests and batch job rows are held to
/// the same rules, with the same messages.
/// </summary>
internal static class InputCheck
{
    /// <summary>
    /// The first way <paramref name="inputs"/> does not fit <paramref name="expected"/>, or null when they fit.
    /// <paramref name="modelName"/> names the model in the messages (null: "the model").
    /// </summary>
    public static string? Problem(IReadOnlyList<InferenceTensor> inputs, IReadOnlyList<TensorMetadata> expected, string? modelName)
    {
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var metadata = Find(expected, input.Name);
            if (metadata is null)
            {
                return $"unknown input '{input.Name}'; {Describe(modelName)} has inputs {Names(expected)}";
            }

            for (var j = 0; j < i; j++)
            {
                if (inputs[j].Name == input.Name)
                {
                    return $"input '{input.Name}' is given twice";
                }
            }

            if (input.DataType != metadata.DataType)
            {
                return $"input '{input.Name}' has datatype {input.DataType.ToWireName()} but the model expects {metadata.DataType.ToWireName()}";
            }

            if (!ShapeFits(input.Shape, metadata.Shape))
            {
                return $"input '{input.Name}' has shape {InferenceTensor.FormatShape(input.Shape)} but the model expects {InferenceTensor.FormatShape(metadata.Shape)} (-1 is any size)";
            }
        }

        if (inputs.Count < expected.Count)
        {
            var missing = expected.Where(e => !inputs.Any(i => i.Name == e.Name)).Select(e => $"'{e.Name}'");
            return $"missing input {string.Join(", ", missing)} for {Describe(modelName)}";
        }

        return null;
    }

    /// <summary>Whether <paramref name="actual"/> has <paramref name="expected"/>'s rank and each of its fixed dimensions.</summary>
    public static bool ShapeFits(ReadOnlySpan<long> actual, ReadOnlySpan<long> expected)
    {
        if (actual.Length != expected.Length)
        {
            return false;
        }

        for (var i = 0; i < actual.Length; i++)
        {
            if (expected[i] >= 0 && actual[i] != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The names of <paramref name="tensors"/> as messages list them: <c>'a', 'b'</c>.</summary>
    public static string Names(IEnumerable<TensorMetadata> tensors) => string.Join(", ", tensors.Select(t => $"'{t.Name}'"));

    // A linear search: models have a handful of inputs, where it beats hashing the name.
    private static TensorMetadata? Find(IReadOnlyList<TensorMetadata> expected, string name)
    {
        for (var i = 0; i < expected.Count; i++)
        {
            if (expected[i].Name == name)
            {
                return expected[i];
            }
        }

        return null;
    }

    private static string Describe(string? modelName) => modelName is null ? "the model" : $"model '{modelName}'";
}
