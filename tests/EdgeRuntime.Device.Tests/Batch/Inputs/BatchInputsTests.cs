using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>Opening inputs: the format from the path or the option, the model input they fill, and what cannot be opened.</summary>
public sealed class BatchInputsTests : InputFileTests
{
    [TestCase("data.CSV", null, "csv")]
    [TestCase("data.ndjson", null, "jsonl")]
    [TestCase("data.txt", "csv", "csv")]
    [TestCase("data.log", "NDJSON", "jsonl")]
    public void Open_FormatFromExtensionOrOption_PicksTheReader(string name, string? format, string expected)
    {
        var path = Folder.Write(name, "a\n1\n");

        using var input = BatchInputs.Open(new BatchInputOptions { Path = path, Format = format }, Input("x", TensorDataType.Fp32, -1), null);

        Assert.That(input.Format, Is.EqualTo(expected));
    }

    [Test]
    public void Open_WholeInputProblems_ThrowWithTheReason()
    {
        var csv = Folder.Write("a.csv", "a\n1\n");
        var txt = Folder.Write("a.txt", "a\n1\n");
        var oneInput = Input("x", TensorDataType.Fp32, -1);
        TensorMetadata[] twoInputs = [new("a", TensorDataType.Fp32, [-1, 1]), new("b", TensorDataType.Fp32, [-1, 1])];

        Assert.Multiple(() =>
        {
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = Path.Combine(Folder.Path, "missing.csv") }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.EndsWith("missing.csv: no such file or folder"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = txt }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("unknown input format '.txt'"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = csv, Format = "parquet" }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("unknown input format 'parquet' (use csv, jsonl, npy, sqlite, images)"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = csv, Format = "images" }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("reads a folder of images"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = Folder.Path, Format = "csv" }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("is a folder"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = csv }, twoInputs, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("the model has inputs 'a', 'b', and csv rows fill only one; give every input with a jsonl input"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = csv, Tensor = "y" }, oneInput, null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("the model has no input 'y'; its input is 'x'"));
            Assert.That(() => BatchInputs.Open(new BatchInputOptions { Path = csv }, Input("x", TensorDataType.Bytes, -1), null),
                Throws.InstanceOf<BatchInputException>().With.Message.Contains("is BYTES, which numeric CSV columns cannot fill"));
        });
    }
}
