namespace EdgeRuntime.Contracts.Inference;

/// <summary>OIP <c>$metadata_tensor</c>: a model input or output; -1 marks a dynamic dimension.</summary>
public sealed record MetadataTensor(string Name, string Datatype, IReadOnlyList<long> Shape);
