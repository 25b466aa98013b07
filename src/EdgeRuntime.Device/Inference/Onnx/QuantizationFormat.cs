namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>How a model's quantization is expressed in its graph, as onnxruntime's quantization tool names it.</summary>
internal enum QuantizationFormat
{
    /// <summary>The model could not be read.</summary>
    Unknown,

    /// <summary>A float model: no quantization operators.</summary>
    None,

    /// <summary>QuantizeLinear/DequantizeLinear pairs around float operators (QuantFormat.QDQ).</summary>
    Qdq,

    /// <summary>Quantized operators: QLinear* (QLinearConv, QLinearMatMul, ...) or MatMulInteger/ConvInteger (QuantFormat.QOperator).</summary>
    QOperator,
}
