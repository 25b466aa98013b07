using System.Text;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>CSV files as batch inputs: features, keys, bad lines as error rows, resuming by index, whole-file problems.</summary>
public sealed class CsvInputTests : InputFileTests
{
    [Test]
    public void Read_GoodAndBadLines_GivesTheTensorsAndTheErrorsInOrder()
    {
        var path = Folder.Write("readings.csv", """"
            id,temp,"label, text",pressure,humidity
            a1,1.5,"x, ""quoted""",2,3

            a2,4,y,5,6,7
            a3,abc,z,8,9
            a4,7,w,8,-0.25
            """");

        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1, 3), options: new BatchInputOptions { Path = path, KeyColumn = "id" });

        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new long[] { 0, 1, 2, 3 }));
        Assert.That(rows.Select(r => r.Key), Is.EqualTo(new[] { "a1", "line 4", "a3", "a4" }));
        Assert.That(rows[0].Error, Is.Null);
        Assert.That(rows[0].Names, Is.EqualTo(new[] { "x" }));
        Assert.That(rows[0].Shapes[0], Is.EqualTo(new long[] { 1, 3 }));
        Assert.That(rows[0].Types[0], Is.EqualTo(TensorDataType.Fp32));
        Assert.That(rows[0].Data[0], Is.EqualTo(Bytes(1.5f, 2, 3)));
        Assert.That(rows[0].Rows, Is.EqualTo(1));
        Assert.That(rows[1].Error, Is.EqualTo("line 4: 6 fields but the header has 5"));
        Assert.That(rows[2].Error, Is.EqualTo("line 5, column 'temp': 'abc' is not a number"));
        Assert.That(rows[3].Floats, Is.EqualTo(new[] { 7f, 8, -0.25f }));
    }

    [Test]
    public void Read_FromAnIndex_ReturnsExactlyTheRowsFromThere()
    {
        var text = new StringBuilder("a,b\n");
        for (var i = 0; i < 50; i++)
        {
            text.Append(i % 7 == 3 ? "bad\n" : $"{i},{-i}\n");
            if (i % 10 == 0)
            {
                text.Append('\n');
            }
        }

        var path = Folder.Write("many.csv", text.ToString());
        var inputs = Input("x", TensorDataType.Fp32, -1, 2);
        var all = ReadAll(path, inputs);

        var resumed = ReadAll(path, inputs, fromIndex: 18);

        Assert.That(all, Has.Count.EqualTo(50));
        Assert.That(all.Count(r => r.Error is not null), Is.EqualTo(7));
        Assert.That(resumed.Select(r => (r.Index, r.Key, r.Error)), Is.EqualTo(all.Skip(18).Select(r => (r.Index, r.Key, r.Error))));
        Assert.That(resumed.Select(r => r.Data.FirstOrDefault()), Is.EqualTo(all.Skip(18).Select(r => r.Data.FirstOrDefault())));
        Assert.That(resumed[0].Floats, Is.EqualTo(new[] { 18f, -18 }));
    }

    [Test]
    public void Read_ByteOrderMarkAndCrLfLineEnds_AreNotPartOfTheFields()
    {
        var path = Folder.Write("excel.csv", [.. "\uFEFFid,a\r\nk1,2\r\nk2,3"u8]);

        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1), options: new BatchInputOptions { Path = path, KeyColumn = "id" });

        Assert.That(rows.Select(r => (r.Key, r.Floats[0])), Is.EqualTo(new[] { ("k1", 2f), ("k2", 3f) }));
    }

    [Test]
    public void Count_SmallFile_CountsTheDataLines()
    {
        var path = Folder.Write("c.csv", "a\n1\n\n2\n3\n");

        using var input = BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1), null);

        Assert.That(input.Format, Is.EqualTo("csv"));
        Assert.That(input.Count, Is.EqualTo(3));
        Assert.That(input.Fingerprint, Does.StartWith(path + "|"));
    }

    [Test]
    public void Read_OneFeatureIntoARankOneInput_GivesShapeOne()
    {
        var path = Folder.Write("v.csv", "name,value\nfirst,4\n");

        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1));

        Assert.That(rows.Single().Shapes[0], Is.EqualTo(new long[] { 1 }));
        Assert.That(rows.Single().Key, Is.EqualTo("line 2"));
    }

    [Test]
    public void Read_IntegerInput_ConvertsAndRefusesWhatTheTypeCannotHold()
    {
        var path = Folder.Write("i.csv", "a,b\n1,2\n1.5,2\n300,1\n");

        var rows = ReadAll(path, Input("x", TensorDataType.UInt8, -1, 2));

        Assert.That(rows[0].Data[0], Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(rows[0].Types[0], Is.EqualTo(TensorDataType.UInt8));
        Assert.That(rows[1].Error, Is.EqualTo("line 3, column 'a': 1.5 does not fit the model's input 'x' (UINT8)"));
        Assert.That(rows[2].Error, Is.EqualTo("line 4, column 'a': 300 does not fit the model's input 'x' (UINT8)"));
    }

    [Test]
    public void Read_Int64BeyondTwoToThe53_KeepsEveryDigit()
    {
        // 2^53 + 1 is the first integer a double cannot hold: read through double, it came out as 2^53.
        var path = Folder.Write("ids.csv", "id,other\n9007199254740993,-9223372036854775808\n1e3,9223372036854775808\n");

        var rows = ReadAll(path, Input("x", TensorDataType.Int64, -1, 2));
        var floats = ReadAll(path, Input("x", TensorDataType.Fp64, -1, 2));

        Assert.That(rows[0].Data[0], Is.EqualTo(BitConverter.GetBytes(9007199254740993L).Concat(BitConverter.GetBytes(long.MinValue))));
        Assert.That(rows[1].Error, Is.EqualTo("line 3, column 'other': 9223372036854775808 does not fit the model's input 'x' (INT64)"), "1e3 is still 1000");
        Assert.That(floats[1].Data[0], Is.EqualTo(BitConverter.GetBytes(1000.0).Concat(BitConverter.GetBytes(9223372036854775808.0))), "float inputs read every number as before");
    }

    [Test]
    public void Read_NamedColumns_TakesThoseInTheirOrder()
    {
        var path = Folder.Write("n.csv", "a,b,c\n1,2,3\n");

        var rows = ReadAll(path, Input("x", TensorDataType.Fp64, -1, -1), options: new BatchInputOptions { Path = path, Columns = ["c", "a"] });

        Assert.That(rows.Single().Shapes[0], Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(rows.Single().Data[0], Is.EqualTo(BitConverter.GetBytes(3.0).Concat(BitConverter.GetBytes(1.0))));
    }

    [TestCase("", "the file is empty")]
    [TestCase("1,2\n3,4\n", "looks like data, not a header")]
    [TestCase("a,b\n", "no data line has the header's 2 fields")]
    [TestCase("id,name\n1x,b\n", "no column holds a number on line 2")]
    [TestCase("a,b,c\n1,2,3\n", "rows of 3 value(s), but the model's input 'x' has shape [-1,4] (4 values per row)")]
    public void Open_UnusableFile_ThrowsWithTheReason(string text, string reason)
    {
        var path = Folder.Write("bad.csv", text);

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path }, Input("x", TensorDataType.Fp32, -1, 4), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains(reason));
    }

    [Test]
    public void Open_MissingNamedColumn_ThrowsListingTheHeader()
    {
        var path = Folder.Write("m.csv", "a,b\n1,2\n");

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path, Columns = ["a", "z"] }, Input("x", TensorDataType.Fp32, -1, 2), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("no column 'z'; the header has 'a', 'b'"));
        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path, KeyColumn = "id" }, Input("x", TensorDataType.Fp32, -1, 2), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("no key column 'id'"));
    }
}
