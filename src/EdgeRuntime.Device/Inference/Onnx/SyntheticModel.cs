namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>A serialized model from <see cref="SyntheticModels"/> with the identity it carries in its metadata.</summary>
/// <param name="Name">The name to serve it under, e.g. <c>demo</c>.</param>
/// <param name="Version">The version, also written as <c>model_version</c> and the <c>version</c> metadata entry.</param>
/// <param name="Description">The model's doc string.</param>
/// <param name="Bytes">The serialized <c>ModelProto</c>.</param>
internal sealed record SyntheticModel(string Name, string Version, string Description, byte[] Bytes);
