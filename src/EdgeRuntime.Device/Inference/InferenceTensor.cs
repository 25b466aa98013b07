namespace EdgeRuntime.Device.Inference;

/// <summary>
/// A named tensor on its way into or out of a model. Fixed-size elements are stored as raw little-endian
/// bytes, row-major; <see cref="TensorDataType.Bytes"/> elements as the binary tensor extension writes them,
/// each a 4-byte little-endian length followed by that many bytes. The buffer may be pooled or native: the
/// tensor returns it when disposed.
/// </summary>
public sealed class InferenceTensor : IDisposable
{
    private IDisposable? _owner;

    public InferenceTensor(string name, TensorDataType dataType, long[] shape, ReadOnlyMemory<byte> data, IDisposable? owner = null)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Data = data;
        _owner = owner;
    }

    public string Name { get; }

    public TensorDataType DataType { get; }

    public long[] Shape { get; }

    /// <summary>The elements, encoded as described on the type.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The number of elements the shape describes.</summary>
    public long ElementCount => ElementCountOf(Shape);

    /// <summary>The product of the dimensions (1 for a scalar).</summary>
    public static long ElementCountOf(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }

    /// <summary>A shape as error messages write it, e.g. <c>[2,3]</c> (-1 for a dynamic dimension).</summary>
    public static string FormatShape(ReadOnlySpan<long> shape) => $"[{string.Join(",", shape.ToArray())}]";

    public void Dispose()
    {
        Interlocked.Exchange(ref _owner, null)?.Dispose();
    }
}
