using System.Text;
using EdgeRuntime.Device.Batch.Inputs;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Tests.Commands;

/// <summary>The .npy reader against files written byte by byte as numpy.save writes them.</summary>
public sealed class NpyArrayTests
{
    [Test]
    public void Parse_Version1Float32Matrix_ReadsShapeTypeAndData()
    {
        var bytes = NpyFile.Write("<f4", [2, 3], Enumerable.Range(1, 6).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray());

        var array = NpyArray.Parse(bytes, "m.npy");

        Assert.That(array.DataType, Is.EqualTo(TensorDataType.Fp32));
        Assert.That(array.Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(BitConverter.ToSingle(array.Data.Span[20..]), Is.EqualTo(6f));
    }

    [Test]
    public void Parse_Version2Int16Vector_ReadsTheLongHeaderForm()
    {
        var bytes = NpyFile.Write("<i2", [3], [1, 0, 2, 0, 0xFF, 0xFF], version: 2);

        var array = NpyArray.Parse(bytes, "v.npy");

        Assert.That(array.DataType, Is.EqualTo(TensorDataType.Int16));
        Assert.That(array.Shape, Is.EqualTo(new long[] { 3 }));
        Assert.That(BitConverter.ToInt16(array.Data.Span[4..]), Is.EqualTo(-1));
    }

    [TestCase("<f8", true, "Fortran-order")]
    [TestCase(">f4", false, "big-endian")]
    [TestCase("<c8", false, "not supported")]
    public void Parse_UnsupportedLayouts_ThrowNamingTheProblem(string descr, bool fortran, string message)
    {
        var bytes = NpyFile.Write(descr, [1], new byte[8], fortran: fortran);

        Assert.That(() => NpyArray.Parse(bytes, "x.npy"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains(message));
    }

    [Test]
    public void Parse_TruncatedData_ThrowsWithTheSizes()
    {
        var bytes = NpyFile.Write("<f4", [4], new byte[12]);

        Assert.That(() => NpyArray.Parse(bytes, "t.npy"), Throws.InstanceOf<InvalidDataException>().With.Message.Contains("needs 16 bytes"));
    }
}

/// <summary>Writes .npy files byte by byte, as numpy.save lays them out.</summary>
internal static class NpyFile
{
    public static byte[] Write(string descr, long[] shape, byte[] data, int version = 1, bool fortran = false)
    {
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': ({dims}), }}";
        var prefix = version == 1 ? 10 : 12;

        // numpy pads the header with spaces and a newline so the data starts at a multiple of 64.
        var total = (prefix + header.Length + 1 + 63) / 64 * 64;
        header = header.PadRight(total - prefix - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0 };
        bytes.AddRange(version == 1 ? BitConverter.GetBytes((ushort)header.Length) : BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }
}
