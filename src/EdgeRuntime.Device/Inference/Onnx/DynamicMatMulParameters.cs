namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// The constants of <see cref="SyntheticModels.DynamicQuantized"/>: the input is quantized to uint8 at run time
/// by DynamicQuantizeLinear (over the whole tensor, so rows of one batch share a scale), multiplied by int8
/// weights with MatMulInteger and rescaled: <c>y = float(MatMulInteger(xq, Wq, xZeroPoint, WZeroPoint)) · (xScale · WeightScale)</c>.
/// Weights is row-major [InputSize, OutputSize].
/// </summary>
internal sealed record DynamicMatMulParameters
{
    public required int InputSize { get; init; }

    public required int OutputSize { get; init; }

    public required IReadOnlyList<sbyte> Weights { get; init; }

    public required float WeightScale { get; init; }

    public required sbyte WeightZeroPoint { get; init; }
}
