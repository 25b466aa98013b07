using System.Text;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>.npy arrays as batch inputs: one row per index of the first dimension, converted to the model's datatype.</summary>
public sealed class NpyInputTests : InputFileTests
{
    [Test]
    public void Read_Float32Matrix_GivesOneRowPerIndexKeyedByIt()
    {
        var path = Folder.Write("m.npy", Npy("<f4", [3, 2, 2], Bytes([.. Enumerable.Range(0, 12).Select(i => (float)i)])));

        using var input = BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1, 2, -1), null);
        var rows = ReadAll(input);

        Assert.That(input.Format, Is.EqualTo("npy"));
        Assert.That(input.Count, Is.EqualTo(3));
        Assert.That(rows.Select(r => r.Key), Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new long[] { 0, 1, 2 }));
        Assert.That(rows[1].Shapes[0], Is.EqualTo(new long[] { 1, 2, 2 }));
        Assert.That(rows[1].Floats, Is.EqualTo(new float[] { 4, 5, 6, 7 }));
        Assert.That(ReadAll(input, fromIndex: 2).Single().Floats, Is.EqualTo(new float[] { 8, 9, 10, 11 }));
    }

    [Test]
    public void Read_FlatRowsIntoAnImageShapedInput_TakesTheModelsShape()
    {
        var path = Folder.Write("flat.npy", Npy("<f4", [2, 4], Bytes([.. Enumerable.Range(0, 8).Select(i => (float)i)])));

        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1, 1, 2, 2));

        Assert.That(rows[0].Shapes[0], Is.EqualTo(new long[] { 1, 1, 2, 2 }));
    }

    [Test]
    public void Read_Float64IntoInt32Input_ConvertsAndFailsOnlyTheRowThatDoesNotFit()
    {
        var path = Folder.Write("d.npy", Npy("<f8", [3], [.. new[] { 1.0, 2.5, -3.0 }.SelectMany(BitConverter.GetBytes)]));

        var rows = ReadAll(path, Input("x", TensorDataType.Int32, -1));

        Assert.That(rows[0].Data[0], Is.EqualTo(BitConverter.GetBytes(1)));
        Assert.That(rows[0].Shapes[0], Is.EqualTo(new long[] { 1 }));
        Assert.That(rows[1].Error, Is.EqualTo("row 1: element 0 (2.5) does not fit INT32 (the model's input 'x' is INT32)"));
        Assert.That(rows[2].Data[0], Is.EqualTo(BitConverter.GetBytes(-3)));
    }

    /// <summary>
    /// Rows are read in chunks; a file cut short after the job opened it still gives every whole row before the cut,
    /// then fails naming the first row it lacks (across more than one chunk, and mid-row).
    /// </summary>
    [Test]
    public void Read_FileTruncatedAfterOpening_GivesTheWholeRowsThenFails()
    {
        const int Rows = 10_000;
        var path = Folder.Write("cut.npy", Npy("<f4", [Rows, 4], Bytes([.. Enumerable.Range(0, Rows * 4).Select(i => (float)i)])));
        using var input = BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1, 4), null);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length - ((Rows - 6001) * 16) - 8);
        }

        var read = new List<float>();
        Assert.That(
            () =>
            {
                foreach (var row in input.Read(0, CancellationToken.None))
                {
                    using (row)
                    {
                        read.Add(BitConverter.ToSingle(row.Inputs[0].Data.Span));
                    }
                }
            },
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("ends before row 6000"));
        Assert.That(read, Is.EqualTo(Enumerable.Range(0, 6000).Select(i => (float)(i * 4))));
    }

    [TestCase("<f4", new long[] { 2, 3 }, "has shape [-1,4] (4 values per row)")]
    [TestCase("<f4", new long[] { }, "holds a single value")]
    public void Open_ArrayThatDoesNotFitTheModel_Throws(string descr, long[] shape, string reason)
    {
        var path = Folder.Write("bad.npy", Npy(descr, shape, new byte[InferenceTensor.ElementCountOf(shape) * 4]));

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1, 4), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains(reason));
    }

    [Test]
    public void Open_NotAnNpyFile_ThrowsNamingIt()
    {
        var path = Folder.Write("text.npy", "hello, not numpy");

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1, 4), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("not a .npy file"));
    }

    /// <summary>A version 1 .npy file, laid out as numpy.save writes it.</summary>
    private static byte[] Npy(string descr, long[] shape, byte[] data)
    {
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        var padded = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)padded.Length));
        bytes.AddRange(Encoding.Latin1.GetBytes(padded));
        bytes.AddRange(data);
        return [.. bytes];
    }
}
