namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// The constants of the two-layer classifier behind <see cref="SyntheticModels.Demo"/> (int8, QDQ) and
/// <see cref="SyntheticModels.FloatMlp"/> (float, weights = the dequantized int8 weights):
/// <c>probabilities = Softmax(Relu(input · W1 + B1) · W2 + B2)</c>. Matrices are row-major,
/// W1 is [InputSize, HiddenSize] and W2 is [HiddenSize, OutputSize]; a dequantized weight is
/// <c>(q - 0) · scale</c>. The activations of the int8 model are quantized with
/// <c>q = saturate(round_half_even(x / scale) + zeroPoint)</c>.
/// </summary>
internal sealed record MlpParameters
{
    public required int InputSize { get; init; }

    public required int HiddenSize { get; init; }

    public required int OutputSize { get; init; }

    /// <summary>The class names, in output order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    public required float InputScale { get; init; }

    public required sbyte InputZeroPoint { get; init; }

    public required IReadOnlyList<sbyte> Weights1 { get; init; }

    public required float Weights1Scale { get; init; }

    public required IReadOnlyList<float> Bias1 { get; init; }

    /// <summary>Scale of the quantized hidden activation (after Relu).</summary>
    public required float HiddenScale { get; init; }

    public required sbyte HiddenZeroPoint { get; init; }

    public required IReadOnlyList<sbyte> Weights2 { get; init; }

    public required float Weights2Scale { get; init; }

    public required IReadOnlyList<float> Bias2 { get; init; }
}
