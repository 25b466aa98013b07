namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>What <see cref="QuantizationInspector"/> found out about a model's quantization.</summary>
internal sealed record QuantizationInfo
{
    /// <summary>QDQ, QOperator, None, or Unknown when the model could not be read.</summary>
    public required QuantizationFormat Format { get; init; }

    /// <summary>Static, Dynamic, None, or Unknown when the model could not be read.</summary>
    public required QuantizationMode Mode { get; init; }

    /// <summary>The type of the quantized weight initializers (the most common one when they differ).</summary>
    public required QuantizedElementType WeightType { get; init; }

    /// <summary>The type activations are quantized to (the most common one when they differ); None for weight-only quantization.</summary>
    public required QuantizedElementType ActivationType { get; init; }

    /// <summary>All nodes, subgraphs included.</summary>
    public int NodeCount { get; init; }

    public int QuantizeLinearCount { get; init; }

    public int DequantizeLinearCount { get; init; }

    public int DynamicQuantizeLinearCount { get; init; }

    /// <summary>QLinear* operators (QLinearConv, QLinearMatMul, QLinearAdd, ...) and their com.microsoft relatives (QGemm, QAttention).</summary>
    public int QLinearOperatorCount { get; init; }

    /// <summary>Integer operators: MatMulInteger, ConvInteger and the fused DynamicQuantizeMatMul/MatMulIntegerToFloat.</summary>
    public int IntegerOperatorCount { get; init; }

    /// <summary>Every node above: quantize, dequantize, QLinear and integer operators.</summary>
    public int QuantizedNodeCount =>
        QuantizeLinearCount + DequantizeLinearCount + DynamicQuantizeLinearCount + QLinearOperatorCount + IntegerOperatorCount;

    /// <summary>True when at least one initializer keeps its data in an external file (only the graph was inspected).</summary>
    public bool UsesExternalData { get; init; }

    /// <summary>Why the model could not be read; null when it was.</summary>
    public string? Error { get; init; }

    /// <summary>True when the model was read and the other properties mean something.</summary>
    public bool IsKnown => Error is null;

    /// <summary>
    /// One line for a manifest's <c>quantization</c>, as onnxruntime's tool would describe the model: e.g.
    /// <c>QDQ static int8</c>, <c>QOperator dynamic uint8 (activations int8)</c> or <c>none</c>; null when the model could not be read.
    /// </summary>
    public string? Summary
    {
        get
        {
            if (Format == QuantizationFormat.Unknown)
            {
                return null;
            }

            if (Format == QuantizationFormat.None)
            {
                return "none";
            }

            var parts = new List<string> { Format == QuantizationFormat.Qdq ? "QDQ" : "QOperator" };
            if (Mode is QuantizationMode.Static or QuantizationMode.Dynamic)
            {
                parts.Add(Mode.ToString().ToLowerInvariant());
            }

            if (WeightType is not (QuantizedElementType.Unknown or QuantizedElementType.None))
            {
                parts.Add(WeightType.ToString().ToLowerInvariant());
            }

            var summary = string.Join(' ', parts);
            return ActivationType is not (QuantizedElementType.Unknown or QuantizedElementType.None) && ActivationType != WeightType
                ? $"{summary} (activations {ActivationType.ToString().ToLowerInvariant()})"
                : summary;
        }
    }

    /// <summary>The result for a model that could not be read.</summary>
    public static QuantizationInfo Unknown(string error) => new()
    {
        Format = QuantizationFormat.Unknown,
        Mode = QuantizationMode.Unknown,
        WeightType = QuantizedElementType.Unknown,
        ActivationType = QuantizedElementType.Unknown,
        Error = error,
    };
}
