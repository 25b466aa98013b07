namespace EdgeRuntime.Contracts.Inference;

/// <summary>
/// OIP <c>$metadata_model_response</c>. <see cref="Parameters"/> carries the device's facts about the
/// loaded version: the execution provider, why preferred ones were skipped, and the quantization.
/// </summary>
public sealed record ModelMetadataResponse
{
    public required string Name { get; init; }

    public IReadOnlyList<string>? Versions { get; init; }

    public required string Platform { get; init; }

    public required IReadOnlyList<MetadataTensor> Inputs { get; init; }

    public required IReadOnlyList<MetadataTensor> Outputs { get; init; }

    public IReadOnlyDictionary<string, string>? Parameters { get; init; }
}
