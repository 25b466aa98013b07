namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// The constants of <see cref="SyntheticModels.ComputeBound"/>: <c>y = Relu(x · W1) · W2</c>, both weight
/// matrices [Width, Width], row-major.
/// </summary>
internal sealed record ComputeBoundParameters
{
    public required int Width { get; init; }

    public required IReadOnlyList<float> Weights1 { get; init; }

    public required IReadOnlyList<float> Weights2 { get; init; }
}
