namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// The constants of <see cref="SyntheticModels.QOperatorUInt8"/>:
/// <c>y = Dequantize(QLinearMatMul(Quantize(x), W))</c> with uint8 tensors throughout.
/// Weights is row-major [InputSize, OutputSize]; a real value is <c>(q - zeroPoint) · scale</c>.
/// </summary>
internal sealed record QLinearMatMulParameters
{
    public required int InputSize { get; init; }

    public required int OutputSize { get; init; }

    public required float InputScale { get; init; }

    public required byte InputZeroPoint { get; init; }

    public required IReadOnlyList<byte> Weights { get; init; }

    public required float WeightScale { get; init; }

    public required byte WeightZeroPoint { get; init; }

    public required float OutputScale { get; init; }

    public required byte OutputZeroPoint { get; init; }
}
