using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Inference.Onnx.Proto;
using Google.Protobuf;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Inference.Onnx;

public sealed class QuantizationInspectorTests
{
    [Test]
    public void Inspect_Demo_QdqStaticInt8()
    {
        var info = QuantizationInspector.Inspect(SyntheticModels.Demo().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(info.IsKnown, Is.True);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Qdq));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.Static));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Int8));
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.Int8));
            Assert.That(info.QuantizeLinearCount, Is.EqualTo(2));
            Assert.That(info.DequantizeLinearCount, Is.EqualTo(4));
            Assert.That(info.QuantizedNodeCount, Is.EqualTo(6));
            Assert.That(info.NodeCount, Is.EqualTo(12));
            Assert.That(info.UsesExternalData, Is.False);
        });
    }

    [Test]
    public void Inspect_FloatMlp_None()
    {
        var info = QuantizationInspector.Inspect(SyntheticModels.FloatMlp().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(info.IsKnown, Is.True);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.None));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.None));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.None));
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.None));
            Assert.That(info.QuantizedNodeCount, Is.Zero);
        });
    }

    [TestCase("all_types")]
    [TestCase("multi_io")]
    public void Inspect_FloatOrIdentityModel_None(string name)
    {
        var info = QuantizationInspector.Inspect(SyntheticModelsTests.Build(name).Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.None));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.None));
        });
    }

    [Test]
    public void Inspect_QOperatorUInt8_QOperatorStaticUInt8()
    {
        var info = QuantizationInspector.Inspect(SyntheticModels.QOperatorUInt8().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.QOperator));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.Static));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.UInt8));
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.UInt8));
            Assert.That(info.QLinearOperatorCount, Is.EqualTo(1));
            Assert.That(info.QuantizeLinearCount, Is.EqualTo(1));
            Assert.That(info.DequantizeLinearCount, Is.EqualTo(1));
        });
    }

    [Test]
    public void Inspect_DynamicQuantized_QOperatorDynamicInt8WeightsUInt8Activations()
    {
        var info = QuantizationInspector.Inspect(SyntheticModels.DynamicQuantized().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.QOperator));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.Dynamic));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Int8));
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.UInt8));
            Assert.That(info.DynamicQuantizeLinearCount, Is.EqualTo(1));
            Assert.That(info.IntegerOperatorCount, Is.EqualTo(1));
        });
    }

    [Test]
    public void Inspect_QdqWithUInt8ActivationsAndInt32Bias_WeightTypeFromWeightNotBias()
    {
        // As quantize_static writes a QDQ MatMul + Add with activation_type=QUInt8, weight_type=QInt8: the bias is an
        // int32 initializer behind its own DequantizeLinear, which must not count as a weight type.
        var model = new OnnxModelBuilder("qdq_uint8")
            .AddInput("x", DataType.Float, "batch", 2)
            .AddScalar("x_scale", 0.1f)
            .AddScalar("x_zero_point", (byte)128)
            .AddInitializer("w_quantized", [2, 2], new sbyte[] { 1, 2, 3, 4 })
            .AddScalar("w_scale", 0.01f)
            .AddScalar("w_zero_point", (sbyte)0)
            .AddInitializer("b_quantized", [2], new[] { 10, -10 })
            .AddScalar("b_scale", 0.001f)
            .AddScalar("b_zero_point", 0)
            .AddNode("QuantizeLinear", ["x", "x_scale", "x_zero_point"], ["xq"])
            .AddNode("DequantizeLinear", ["xq", "x_scale", "x_zero_point"], ["xd"])
            .AddNode("DequantizeLinear", ["w_quantized", "w_scale", "w_zero_point"], ["w"])
            .AddNode("DequantizeLinear", ["b_quantized", "b_scale", "b_zero_point"], ["b"])
            .AddNode("MatMul", ["xd", "w"], ["m"])
            .AddNode("Add", ["m", "b"], ["y"])
            .AddOutput("y", DataType.Float, "batch", 2)
            .Build();

        var info = QuantizationInspector.Inspect(model);

        Assert.Multiple(() =>
        {
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Qdq));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.Static));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Int8));
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.UInt8));
        });
    }

    [Test]
    public void Inspect_WeightsInExternalFile_InspectsGraphAndReportsExternalData()
    {
        var model = ModelProto.Parser.ParseFrom(SyntheticModels.Demo().Bytes);
        foreach (var initializer in model.Graph.Initializer.Where(tensor => tensor.Name.EndsWith("_weight_quantized", StringComparison.Ordinal)))
        {
            initializer.RawData = ByteString.Empty;
            initializer.DataLocation = TensorProto.Types.DataLocation.External;
            initializer.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "demo.onnx.data" });
        }

        var info = QuantizationInspector.Inspect(model.ToByteArray());

        Assert.Multiple(() =>
        {
            Assert.That(info.UsesExternalData, Is.True);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Qdq));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Int8));
        });
    }

    [Test]
    public void Inspect_ModelFile_SameAsBytes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"inspector-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, SyntheticModels.DynamicQuantized().Bytes);
        try
        {
            var info = QuantizationInspector.Inspect(path);

            Assert.That(info, Is.EqualTo(QuantizationInspector.Inspect(SyntheticModels.DynamicQuantized().Bytes)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Inspect_LargeModel_ParsedWithoutSizeLimitError()
    {
        // About 12 MB of weights, the size of a PaddleOCR recognizer; protobuf's old 64 MB-style limits must not bite.
        var weights = new sbyte[3000 * 4000];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (sbyte)((i % 255) - 127);
        }

        var model = new OnnxModelBuilder("large")
            .AddInput("x", DataType.Float, "batch", 3000)
            .AddInitializer("w_quantized", [3000, 4000], weights)
            .AddScalar("w_scale", 0.01f)
            .AddNode("DequantizeLinear", ["w_quantized", "w_scale"], ["w"])
            .AddNode("MatMul", ["x", "w"], ["y"])
            .AddOutput("y", DataType.Float, "batch", 4000)
            .Build();

        var info = QuantizationInspector.Inspect(model);

        Assert.Multiple(() =>
        {
            Assert.That(model, Has.Length.GreaterThan(12_000_000));
            Assert.That(info.IsKnown, Is.True, info.Error);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Qdq));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Int8));
            // Weight-only quantization: the activations stay float.
            Assert.That(info.ActivationType, Is.EqualTo(QuantizedElementType.None));
        });
    }

    [Test]
    public void Inspect_NotAModel_UnknownWithoutThrowing()
    {
        var garbage = "this is not an onnx model, just some text"u8.ToArray();

        var info = QuantizationInspector.Inspect(garbage);

        Assert.Multiple(() =>
        {
            Assert.That(info.IsKnown, Is.False);
            Assert.That(info.Error, Is.Not.Empty);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Unknown));
            Assert.That(info.Mode, Is.EqualTo(QuantizationMode.Unknown));
            Assert.That(info.WeightType, Is.EqualTo(QuantizedElementType.Unknown));
        });
    }

    [Test]
    public void Inspect_TruncatedModel_UnknownWithoutThrowing()
    {
        var bytes = SyntheticModels.Demo().Bytes;

        var info = QuantizationInspector.Inspect(bytes[..(bytes.Length / 2)]);

        Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Unknown));
    }

    [Test]
    public void Inspect_EmptyInput_Unknown()
    {
        var info = QuantizationInspector.Inspect(Array.Empty<byte>());

        Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Unknown));
    }

    [Test]
    public void Inspect_MissingFile_UnknownWithoutThrowing()
    {
        var info = QuantizationInspector.Inspect(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.onnx"));

        Assert.Multiple(() =>
        {
            Assert.That(info.IsKnown, Is.False);
            Assert.That(info.Format, Is.EqualTo(QuantizationFormat.Unknown));
        });
    }
}
