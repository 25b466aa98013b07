namespace EdgeRuntime.Device.Inference;

/// <summary>A model input or output as the protocol describes it: name, datatype and shape (-1 for a dynamic dimension).</summary>
public sealed record TensorMetadata(string Name, TensorDataType DataType, long[] Shape);
