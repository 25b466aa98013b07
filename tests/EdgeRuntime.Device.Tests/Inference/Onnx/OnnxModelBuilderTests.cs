using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Inference.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Inference.Onnx;

public sealed class OnnxModelBuilderTests
{
    [Test]
    public void Build_ScaleAndShiftGraph_RunsInOnnxRuntimeWithDynamicBatch()
    {
        var model = ScaleAndShift().Build();

        var output = ModelRunner.RunFloat(model, "x", [1f, 2f, 3f, 4f, 5f, 6f], [2, 3], "y");

        // y = x * 2 + [10, 20, 30], broadcast over the batch.
        Assert.That(output, Is.EqualTo(new[] { 12f, 24f, 36f, 18f, 30f, 42f }));
    }

    [Test]
    public void Build_SymbolicAndUnknownDimensions_ReportedAsDynamic()
    {
        var model = new OnnxModelBuilder("dims")
            .AddInput("x", DataType.Float, "batch", OnnxDimension.Unknown, 3)
            .AddNode("Identity", ["x"], ["y"])
            .AddOutput("y", DataType.Float, "batch", OnnxDimension.Unknown, 3)
            .Build();

        using var session = new InferenceSession(model);
        var input = session.InputMetadata["x"];

        Assert.Multiple(() =>
        {
            Assert.That(input.Dimensions, Is.EqualTo(new[] { -1, -1, 3 }));
            Assert.That(input.SymbolicDimensions[0], Is.EqualTo("batch"));
            Assert.That(input.SymbolicDimensions[1], Is.Empty);
            Assert.That(input.ElementDataType, Is.EqualTo(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float));
        });
    }

    [Test]
    public void Build_Metadata_VisibleThroughOnnxRuntime()
    {
        var model = ScaleAndShift()
            .WithModelVersion(7)
            .WithDocString("scales and shifts")
            .WithMetadata("owner", "tests")
            .WithMetadata("owner", "edge")
            .Build();

        using var session = new InferenceSession(model);
        var metadata = session.ModelMetadata;

        Assert.Multiple(() =>
        {
            Assert.That(metadata.ProducerName, Is.EqualTo("edge-runtime"));
            Assert.That(metadata.Version, Is.EqualTo(7));
            Assert.That(metadata.Description, Is.EqualTo("scales and shifts"));
            Assert.That(metadata.GraphName, Is.EqualTo("scale_and_shift"));
            Assert.That(metadata.CustomMetadataMap, Is.EquivalentTo(new Dictionary<string, string> { ["owner"] = "edge" }));
        });
    }

    [Test]
    public void Build_Defaults_WriteIrVersionAndDefaultOpset()
    {
        var model = ModelProto.Parser.ParseFrom(ScaleAndShift().Build());

        Assert.Multiple(() =>
        {
            Assert.That(model.IrVersion, Is.EqualTo(OnnxModelBuilder.DefaultIrVersion));
            Assert.That(model.OpsetImport, Has.Count.EqualTo(1));
            Assert.That(model.OpsetImport[0].Domain, Is.Empty);
            Assert.That(model.OpsetImport[0].Version, Is.EqualTo(OnnxModelBuilder.DefaultOpsetVersion));
            Assert.That(model.Graph.Node.Select(node => node.Name), Is.EqualTo(new[] { "Mul_0", "Add_1" }));
        });
    }

    [Test]
    public void Build_CalledTwiceAndOnTwoBuilders_IdenticalBytes()
    {
        var builder = ScaleAndShift();

        var first = builder.Build();
        var second = builder.Build();
        var third = ScaleAndShift().Build();

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(third, Is.EqualTo(first));
        });
    }

    [Test]
    public void WithOpset_Version13_UsedByOnnxRuntime()
    {
        // ReduceSum takes its axes as an attribute up to opset 12 and as an input from 13: this graph is valid only at 13+.
        var model = new OnnxModelBuilder("reduce")
            .WithOpset(13)
            .AddInput("x", DataType.Float, "batch", 3)
            .AddInitializer("axes", [1], new long[] { 1 })
            .AddNode("ReduceSum", ["x", "axes"], ["y"], OnnxAttribute.Int("keepdims", 0))
            .AddOutput("y", DataType.Float, "batch")
            .Build();

        var output = ModelRunner.RunFloat(model, "x", [1f, 2f, 3f, 4f, 5f, 6f], [2, 3], "y");

        Assert.That(output, Is.EqualTo(new[] { 6f, 15f }));
    }

    [Test]
    public void AddInitializer_IntegerTypes_StoredWithTheirElementTypes()
    {
        var model = ModelProto.Parser.ParseFrom(new OnnxModelBuilder("types")
            .AddInitializer("i8", [2], new sbyte[] { -1, 2 })
            .AddInitializer("u8", [2], new byte[] { 255, 0 })
            .AddInitializer("i32", [1], new[] { -5 })
            .AddScalar("i64", 9L)
            .Build());
        var initializers = model.Graph.Initializer.ToDictionary(tensor => tensor.Name);

        Assert.Multiple(() =>
        {
            Assert.That(initializers["i8"].DataType, Is.EqualTo((int)DataType.Int8));
            Assert.That(initializers["i8"].RawData.ToByteArray(), Is.EqualTo(new byte[] { 0xFF, 0x02 }));
            Assert.That(initializers["u8"].DataType, Is.EqualTo((int)DataType.Uint8));
            Assert.That(initializers["i32"].RawData.ToByteArray(), Is.EqualTo(new byte[] { 0xFB, 0xFF, 0xFF, 0xFF }));
            Assert.That(initializers["i64"].Dims, Is.Empty);
            Assert.That(initializers["i64"].DataType, Is.EqualTo((int)DataType.Int64));
        });
    }

    [Test]
    public void AddInitializer_ValueCountDoesNotMatchDims_Throws()
    {
        var builder = new OnnxModelBuilder("bad");

        Assert.Throws<ArgumentException>(() => builder.AddInitializer("w", [2, 3], new float[5]));
    }

    [Test]
    public void AddInitializer_SameNameTwice_Throws()
    {
        var builder = new OnnxModelBuilder("bad").AddScalar("s", 1f);

        Assert.Throws<InvalidOperationException>(() => builder.AddScalar("s", 2f));
    }

    private static OnnxModelBuilder ScaleAndShift() =>
        new OnnxModelBuilder("scale_and_shift")
            .AddInput("x", DataType.Float, "batch", 3)
            .AddScalar("two", 2f)
            .AddInitializer("shift", [3], [10f, 20f, 30f])
            .AddNode("Mul", ["x", "two"], ["scaled"])
            .AddNode("Add", ["scaled", "shift"], ["y"])
            .AddOutput("y", DataType.Float, "batch", 3);
}
