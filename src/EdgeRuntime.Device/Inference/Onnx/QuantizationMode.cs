namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>When a model's activation quantization parameters are decided.</summary>
internal enum QuantizationMode
{
    /// <summary>The model could not be read.</summary>
    Unknown,

    /// <summary>Not quantized.</summary>
    None,

    /// <summary>Scales and zero points fixed at conversion time from calibration data (quantize_static).</summary>
    Static,

    /// <summary>Activations quantized at run time by DynamicQuantizeLinear (quantize_dynamic).</summary>
    Dynamic,
}
