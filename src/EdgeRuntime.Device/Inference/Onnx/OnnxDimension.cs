namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// One dimension of a graph input or output: a fixed size, a symbolic name such as <c>"batch"</c>
/// (dynamic, and shared by every value that uses the same name), or unknown (dynamic, unnamed).
/// </summary>
internal readonly record struct OnnxDimension
{
    private OnnxDimension(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>A dynamic dimension with no name; ONNX Runtime reports it as -1.</summary>
    public static OnnxDimension Unknown => default;

    /// <summary>The fixed size, or null for a dynamic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name of a dynamic dimension, or null.</summary>
    public string? Symbol { get; }

    public static implicit operator OnnxDimension(long size) => FromSize(size);

    public static implicit operator OnnxDimension(string symbol) => FromSymbol(symbol);

    /// <summary>A fixed dimension.</summary>
    public static OnnxDimension FromSize(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new OnnxDimension(size, null);
    }

    /// <summary>A dynamic dimension named <paramref name="symbol"/>.</summary>
    public static OnnxDimension FromSymbol(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new OnnxDimension(null, symbol);
    }

    public override string ToString() => Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
