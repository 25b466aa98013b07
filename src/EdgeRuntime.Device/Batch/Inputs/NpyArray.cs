using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A whole NumPy <c>.npy</c> array in memory (see <see cref="NpyHeader"/> for what is supported). Batch jobs read rows
/// from the file instead; <c>edge-runtime baseline</c> reads the array at once.
/// </summary>
internal sealed record NpyArray(TensorDataType DataType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>Reads a whole file; an <see cref="InvalidDataException"/> says what is wrong with a malformed one.</summary>
    public static NpyArray Read(string path) => Parse(File.ReadAllBytes(path), Path.GetFileName(path));

    /// <inheritdoc cref="Read"/>
    public static NpyArray Parse(byte[] bytes, string name)
    {
        var header = NpyHeader.Parse(bytes, bytes.Length, name);
        return new NpyArray(header.DataType, header.Shape, bytes.AsMemory((int)header.DataStart));
    }
}
