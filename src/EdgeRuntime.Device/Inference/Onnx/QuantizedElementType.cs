namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>The integer (or 8-bit float) type that quantized weights or activations are stored in.</summary>
internal enum QuantizedElementType
{
    /// <summary>Could not be determined (unreadable model, or the value is not a constant).</summary>
    Unknown,

    /// <summary>Not quantized.</summary>
    None,

    Int8,

    UInt8,

    Int16,

    UInt16,

    Int4,

    UInt4,

    /// <summary>One of the FLOAT8 variants (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ).</summary>
    Float8,

    /// <summary>Another element type.</summary>
    Other,
}
