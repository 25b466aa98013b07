namespace EdgeRuntime.Device.Inference;

/// <summary>The tensor element types of the Open Inference Protocol (its "datatype" strings).</summary>
public enum TensorDataType
{
    Bool,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Fp16,
    Fp32,
    Fp64,
    Bf16,
    Bytes,
}
