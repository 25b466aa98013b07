using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeRuntime.Device.Tests.Inference.Onnx;

public sealed class SyntheticModelsTests
{
    private static readonly string[] ModelNames = ["demo", "float_mlp", "qoperator_uint8", "dynamic_quantized", "all_types", "multi_io", "compute_bound"];

    [TestCaseSource(nameof(ModelNames))]
    public void Build_CalledTwice_IdenticalBytes(string name)
    {
        Assert.That(Build(name).Bytes, Is.EqualTo(Build(name).Bytes));
    }

    [TestCaseSource(nameof(ModelNames))]
    public void Build_AnyModel_LoadsWithVersionDescriptionAndDynamicBatch(string name)
    {
        var model = Build(name);

        using var session = new InferenceSession(model.Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(session.ModelMetadata.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(model.Version));
            Assert.That(session.ModelMetadata.CustomMetadataMap["version"], Is.EqualTo(model.Version));
            Assert.That(session.ModelMetadata.Description, Is.EqualTo(model.Description).And.Not.Empty);
            Assert.That(session.ModelMetadata.ProducerName, Is.EqualTo("edge-runtime"));
            foreach (var (name, metadata) in session.InputMetadata.Concat(session.OutputMetadata))
            {
                Assert.That(metadata.Dimensions[0], Is.EqualTo(-1), name);
                Assert.That(metadata.SymbolicDimensions[0], Is.EqualTo(SyntheticModels.BatchDimension), name);
            }
        });
    }

    [Test]
    public void Demo_TrendExamples_ClearWinnerForEachTrend()
    {
        var model = SyntheticModels.Demo();
        var labels = SyntheticModels.DemoWeights.Labels;

        var probabilities = ModelRunner.RunFloat(
            model.Bytes, "input", [1, 2, 3, 4, 4, 3, 2, 1, 2, 2, 2, 2], [3, 4], "probabilities");

        Assert.Multiple(() =>
        {
            Assert.That(labels, Is.EqualTo(new[] { "falling", "steady", "rising" }));
            Assert.That(probabilities[2], Is.GreaterThan(0.95f), "[1, 2, 3, 4] is rising");
            Assert.That(probabilities[3], Is.GreaterThan(0.95f), "[4, 3, 2, 1] is falling");
            Assert.That(probabilities[7], Is.GreaterThan(0.7f), "[2, 2, 2, 2] is steady");
            for (var row = 0; row < 3; row++)
            {
                Assert.That(probabilities.Skip(row * 3).Take(3).Sum(), Is.EqualTo(1f).Within(1e-5f));
            }
        });
    }

    [Test]
    public void Demo_Metadata_InputOutputAndLabels()
    {
        using var session = new InferenceSession(SyntheticModels.Demo().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(session.InputMetadata.Keys, Is.EqualTo(new[] { "input" }));
            Assert.That(session.InputMetadata["input"].Dimensions, Is.EqualTo(new[] { -1, 4 }));
            Assert.That(session.InputMetadata["input"].ElementDataType, Is.EqualTo(TensorElementType.Float));
            Assert.That(session.OutputMetadata.Keys, Is.EqualTo(new[] { "probabilities" }));
            Assert.That(session.OutputMetadata["probabilities"].Dimensions, Is.EqualTo(new[] { -1, 3 }));
            Assert.That(session.ModelMetadata.CustomMetadataMap["labels"], Is.EqualTo("falling,steady,rising"));
        });
    }

    [Test]
    public void Demo_Batch_MatchesSimulatedQdqMath()
    {
        var p = SyntheticModels.DemoWeights;
        // Up to about ±20: some readings saturate the int8 input range [-16, 15.875], as the simulation must too.
        var input = Readings(rows: 32, gain: 3f);

        var actual = ModelRunner.RunFloat(SyntheticModels.Demo().Bytes, "input", input, [32, 4], "probabilities");
        var expected = SimulateDemo(p, input, 32);

        TestContext.Out.WriteLine($"max |demo - simulation| = {MaxAbsDifference(actual, expected)}");
        Assert.That(actual, Is.EqualTo(expected).Within(DemoTolerance));
    }

    [Test]
    public void Demo_BatchInRange_CloseToFloatMlp()
    {
        var input = Readings(rows: 32, gain: 1f);

        var quantized = ModelRunner.RunFloat(SyntheticModels.Demo().Bytes, "input", input, [32, 4], "probabilities");
        var full = ModelRunner.RunFloat(SyntheticModels.FloatMlp().Bytes, "input", input, [32, 4], "probabilities");

        TestContext.Out.WriteLine($"max |demo - float| = {MaxAbsDifference(quantized, full)}");
        Assert.That(quantized, Is.EqualTo(full).Within(0.1f));
    }

    [Test]
    public void FloatMlp_Batch_MatchesFloatMath()
    {
        var p = SyntheticModels.DemoWeights;
        var input = Readings(rows: 16, gain: 3f);

        var actual = ModelRunner.RunFloat(SyntheticModels.FloatMlp().Bytes, "input", input, [16, 4], "probabilities");
        var w1 = p.Weights1.Select(q => q * p.Weights1Scale).ToArray();
        var w2 = p.Weights2.Select(q => q * p.Weights2Scale).ToArray();
        var hidden = AddBias(ModelRunner.MatMul(input, w1, 16, 4, 8), p.Bias1).Select(v => Math.Max(v, 0f)).ToArray();
        var expected = Softmax(AddBias(ModelRunner.MatMul(hidden, w2, 16, 8, 3), p.Bias2), 3);

        Assert.That(actual, Is.EqualTo(expected).Within(1e-5f));
    }

    // The demo's hidden values lie on a 1/1024 grid and its rounding ties (odd multiples of 0.1) never do, so no
    // kernel difference can flip a rounding: ORT and the simulation agree to float noise (about 1e-7 here).
    private const float DemoTolerance = 1e-3f;

    [Test]
    public void QOperatorUInt8_Batch_MatchesIntegerSimulation()
    {
        var p = SyntheticModels.QOperatorWeights;
        // Up to about ±10: some readings saturate the uint8 input range [-8, 7.94].
        var input = Readings(rows: 16, gain: 1.5f);

        var actual = ModelRunner.RunFloat(SyntheticModels.QOperatorUInt8().Bytes, "x", input, [16, 4], "y");
        var expected = SimulateQLinearMatMul(p, input, 16);

        Assert.That(actual, Is.EqualTo(expected).Within(1e-5f));
    }

    [Test]
    public void QOperatorUInt8_BatchInRange_WithinQuantizationErrorOfFloatMath()
    {
        var p = SyntheticModels.QOperatorWeights;
        var input = Readings(rows: 16, gain: 1f);

        var actual = ModelRunner.RunFloat(SyntheticModels.QOperatorUInt8().Bytes, "x", input, [16, 4], "y");
        var weights = p.Weights.Select(q => (q - p.WeightZeroPoint) * p.WeightScale).ToArray();
        var expected = ModelRunner.MatMul(input, weights, 16, p.InputSize, p.OutputSize);

        // Half an output step, plus half an input step times the largest column of |weights|.
        var tolerance = (p.OutputScale / 2) + (p.InputScale / 2 * 2.5f) + 1e-5f;
        Assert.That(actual, Is.EqualTo(expected).Within(tolerance));
    }

    [Test]
    public void DynamicQuantized_Batch_MatchesDynamicQuantizationSimulation()
    {
        var p = SyntheticModels.DynamicWeights;
        var input = Readings(rows: 16, gain: 3f);

        var actual = ModelRunner.RunFloat(SyntheticModels.DynamicQuantized().Bytes, "x", input, [16, 4], "y");
        var (expected, _) = SimulateDynamic(p, input, 16);

        Assert.That(actual, Is.EqualTo(expected).Within(1e-4f));
    }

    [Test]
    public void DynamicQuantized_Batch_WithinQuantizationErrorOfFloatMath()
    {
        var p = SyntheticModels.DynamicWeights;
        var input = Readings(rows: 16, gain: 3f);

        var actual = ModelRunner.RunFloat(SyntheticModels.DynamicQuantized().Bytes, "x", input, [16, 4], "y");
        var weights = p.Weights.Select(q => q * p.WeightScale).ToArray();
        var expected = ModelRunner.MatMul(input, weights, 16, p.InputSize, p.OutputSize);
        var (_, inputScale) = SimulateDynamic(p, input, 16);

        Assert.Multiple(() =>
        {
            for (var index = 0; index < expected.Length; index++)
            {
                var column = index % p.OutputSize;
                var columnWeight = Enumerable.Range(0, p.InputSize).Sum(k => MathF.Abs(weights[(k * p.OutputSize) + column]));
                Assert.That(actual[index], Is.EqualTo(expected[index]).Within((inputScale / 2 * columnWeight) + 1e-4f), $"element {index}");
            }
        });
    }

    [Test]
    public void AllTypes_EveryDatatype_ReturnsInputBitForBit()
    {
        var cases = SyntheticModels.AllTypesDataTypes.Select(AllTypesCase).ToList();
        using var session = new InferenceSession(SyntheticModels.AllTypes().Bytes);
        using var runOptions = new RunOptions();
        var inputs = cases.Select(c => c.Value).ToArray();
        try
        {
            using var outputs = session.Run(
                runOptions,
                [.. SyntheticModels.AllTypesDataTypes.Select(SyntheticModels.AllTypesInputName)],
                inputs,
                [.. SyntheticModels.AllTypesDataTypes.Select(SyntheticModels.AllTypesOutputName)]);

            Assert.Multiple(() =>
            {
                for (var i = 0; i < cases.Count; i++)
                {
                    var (type, _, bytes, strings) = cases[i];
                    var output = outputs[i];
                    Assert.That(output.GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { 2, 3 }), type.ToString());
                    Assert.That(output.GetTensorTypeAndShape().ElementDataType, Is.EqualTo(type.ToOrt()), type.ToString());
                    if (strings is not null)
                    {
                        Assert.That(output.GetStringTensorAsArray(), Is.EqualTo(strings), type.ToString());
                    }
                    else
                    {
                        Assert.That(output.GetTensorMutableRawData().ToArray(), Is.EqualTo(bytes), type.ToString());
                    }
                }
            });
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    [Test]
    public void AllTypes_Metadata_OneInputAndOutputPerDatatype()
    {
        using var session = new InferenceSession(SyntheticModels.AllTypes().Bytes);

        Assert.Multiple(() =>
        {
            Assert.That(session.InputMetadata.Keys, Does.Contain("in_fp32").And.Contain("in_bytes").And.Contain("in_fp16"));
            foreach (var type in SyntheticModels.AllTypesDataTypes)
            {
                var input = session.InputMetadata[SyntheticModels.AllTypesInputName(type)];
                var output = session.OutputMetadata[SyntheticModels.AllTypesOutputName(type)];
                Assert.That(input.ElementDataType, Is.EqualTo(type.ToOrt()), type.ToString());
                Assert.That(output.ElementDataType, Is.EqualTo(type.ToOrt()), type.ToString());
                Assert.That(input.Dimensions, Is.EqualTo(new[] { -1, -1 }), type.ToString());
            }
        });
    }

    [Test]
    public void MultiIo_OnlyArgmaxRequested_ReturnsArgmaxOfSum()
    {
        using var session = new InferenceSession(SyntheticModels.MultiIo().Bytes);
        using var runOptions = new RunOptions();
        using var a = OrtValue.CreateTensorValueFromMemory(MultiIoA, [3, 3]);
        using var b = OrtValue.CreateTensorValueFromMemory(MultiIoB, [3, 3]);

        using var outputs = session.Run(runOptions, ["a", "b"], [a, b], ["argmax"]);

        Assert.Multiple(() =>
        {
            Assert.That(outputs, Has.Count.EqualTo(1));
            Assert.That(outputs[0].GetTensorTypeAndShape().Shape, Is.EqualTo(new long[] { 3 }));
            Assert.That(outputs[0].GetTensorDataAsSpan<long>().ToArray(), Is.EqualTo(new long[] { 1, 0, 2 }));
        });
    }

    [Test]
    public void MultiIo_ProductAndSumRequested_ReturnedInRequestedOrder()
    {
        using var session = new InferenceSession(SyntheticModels.MultiIo().Bytes);
        using var runOptions = new RunOptions();
        using var a = OrtValue.CreateTensorValueFromMemory(MultiIoA, [3, 3]);
        using var b = OrtValue.CreateTensorValueFromMemory(MultiIoB, [3, 3]);

        using var outputs = session.Run(runOptions, ["a", "b"], [a, b], ["product", "sum"]);

        Assert.Multiple(() =>
        {
            Assert.That(outputs[0].GetTensorDataAsSpan<float>().ToArray(), Is.EqualTo(MultiIoA.Zip(MultiIoB, (x, y) => x * y)));
            Assert.That(outputs[1].GetTensorDataAsSpan<float>().ToArray(), Is.EqualTo(MultiIoA.Zip(MultiIoB, (x, y) => x + y)));
        });
    }

    [Test]
    public void ComputeBound_BatchOfEight_EachRowMatchesItsBatchOneRunAndTheReferenceMath()
    {
        var p = SyntheticModels.ComputeBoundWeights;
        var model = SyntheticModels.ComputeBound().Bytes;
        const int Rows = 8;
        var input = new float[Rows * p.Width];
        for (var i = 0; i < input.Length; i++)
        {
            // A fixed pattern in [-1, 1], different in every row.
            input[i] = ((((3 * i) + (i / p.Width)) % 41) - 20) / 20f;
        }

        var batched = ModelRunner.RunFloat(model, "x", input, [Rows, p.Width], "y");
        var hidden = ModelRunner.MatMul(input, [.. p.Weights1], Rows, p.Width, p.Width).Select(v => Math.Max(v, 0f)).ToArray();
        var expected = ModelRunner.MatMul(hidden, [.. p.Weights2], Rows, p.Width, p.Width);

        Assert.That(batched, Has.Length.EqualTo(Rows * p.Width));
        Assert.That(expected.Max(MathF.Abs), Is.GreaterThan(1f), "the reference output is not degenerate");
        for (var row = 0; row < Rows; row++)
        {
            var single = ModelRunner.RunFloat(model, "x", input[(row * p.Width)..((row + 1) * p.Width)], [1, p.Width], "y");
            var batchedRow = batched[(row * p.Width)..((row + 1) * p.Width)];
            var expectedRow = expected[(row * p.Width)..((row + 1) * p.Width)];
            Assert.Multiple(() =>
            {
                // Batch 1 and batch 8 take different GEMM kernels, which sum in a different order.
                Assert.That(batchedRow, Is.EqualTo(single).Within(1e-4f), $"row {row}: batch 8 vs batch 1");
                Assert.That(batchedRow, Is.EqualTo(expectedRow).Within(1e-3f), $"row {row}: batch 8 vs reference");
            });
        }
    }

    internal static SyntheticModel Build(string name) => name switch
    {
        "demo" => SyntheticModels.Demo(),
        "float_mlp" => SyntheticModels.FloatMlp(),
        "qoperator_uint8" => SyntheticModels.QOperatorUInt8(),
        "dynamic_quantized" => SyntheticModels.DynamicQuantized(),
        "all_types" => SyntheticModels.AllTypes(),
        "multi_io" => SyntheticModels.MultiIo(),
        "compute_bound" => SyntheticModels.ComputeBound(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static readonly float[] MultiIoA = [1, 5, 3, -1, -2, -3, 0, 0, 7];

    private static readonly float[] MultiIoB = [4, 1, 1, 0.5f, 0.25f, -10, 1, 1, 0];

    private static float[] SimulateQLinearMatMul(QLinearMatMulParameters p, float[] input, int rows)
    {
        var quantized = input
            .Select(x => Math.Clamp((int)MathF.Round(x / p.InputScale, MidpointRounding.ToEven) + p.InputZeroPoint, 0, 255))
            .ToArray();
        var multiplier = p.InputScale * p.WeightScale / p.OutputScale;
        var output = new float[rows * p.OutputSize];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < p.OutputSize; j++)
            {
                var accumulator = 0;
                for (var k = 0; k < p.InputSize; k++)
                {
                    accumulator += (quantized[(r * p.InputSize) + k] - p.InputZeroPoint) * (p.Weights[(k * p.OutputSize) + j] - p.WeightZeroPoint);
                }

                var q = Math.Clamp((int)MathF.Round(accumulator * multiplier, MidpointRounding.ToEven) + p.OutputZeroPoint, 0, 255);
                output[(r * p.OutputSize) + j] = (q - p.OutputZeroPoint) * p.OutputScale;
            }
        }

        return output;
    }

    // DynamicQuantizeLinear as the ONNX spec defines it: one uint8 scale and zero point for the whole tensor,
    // from a range that always includes 0.
    private static (float[] Output, float InputScale) SimulateDynamic(DynamicMatMulParameters p, float[] input, int rows)
    {
        var min = Math.Min(0f, input.Min());
        var max = Math.Max(0f, input.Max());
        var scale = (max - min) / 255f;
        var zeroPoint = (int)MathF.Round(Math.Clamp(-min / scale, 0f, 255f), MidpointRounding.ToEven);
        var quantized = input
            .Select(x => Math.Clamp((int)MathF.Round(x / scale, MidpointRounding.ToEven) + zeroPoint, 0, 255))
            .ToArray();
        var output = new float[rows * p.OutputSize];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < p.OutputSize; j++)
            {
                var accumulator = 0;
                for (var k = 0; k < p.InputSize; k++)
                {
                    accumulator += (quantized[(r * p.InputSize) + k] - zeroPoint) * (p.Weights[(k * p.OutputSize) + j] - p.WeightZeroPoint);
                }

                output[(r * p.OutputSize) + j] = accumulator * (scale * p.WeightScale);
            }
        }

        return (output, scale);
    }

    // One [2, 3] input per datatype with edge values (extremes, -0, infinities, NaN payloads, subnormals, non-ASCII text).
    private static (TensorDataType Type, OrtValue Value, byte[]? Bytes, string[]? Strings) AllTypesCase(TensorDataType type)
    {
        long[] shape = [2, 3];
        return type switch
        {
            TensorDataType.Bool => Numeric(type, new[] { true, false, true, true, false, false }),
            TensorDataType.UInt8 => Numeric(type, new byte[] { 0, 1, 127, 128, 254, 255 }),
            TensorDataType.UInt16 => Numeric(type, new ushort[] { 0, 1, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF }),
            TensorDataType.UInt32 => Numeric(type, new uint[] { 0, 1, int.MaxValue, 0x80000000, uint.MaxValue - 1, uint.MaxValue }),
            TensorDataType.UInt64 => Numeric(type, new ulong[] { 0, 1, long.MaxValue, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue }),
            TensorDataType.Int8 => Numeric(type, new sbyte[] { sbyte.MinValue, -1, 0, 1, 126, sbyte.MaxValue }),
            TensorDataType.Int16 => Numeric(type, new short[] { short.MinValue, -1, 0, 1, 12345, short.MaxValue }),
            TensorDataType.Int32 => Numeric(type, new[] { int.MinValue, -1, 0, 1, 123456789, int.MaxValue }),
            TensorDataType.Int64 => Numeric(type, new[] { long.MinValue, -1, 0, 1, 1234567890123, long.MaxValue }),
            TensorDataType.Fp16 => Numeric(type, new ushort[] { 0x0000, 0x8000, 0x3C00, 0x7BFF, 0x7C00, 0x7E01 }.Select(bits => new Float16(bits)).ToArray()),
            TensorDataType.Bf16 => Numeric(type, new ushort[] { 0x0000, 0x8000, 0x3F80, 0x7F7F, 0xFF80, 0x7FC1 }.Select(bits => new BFloat16(bits)).ToArray()),
            TensorDataType.Fp32 => Numeric(type, new[] { 0, unchecked((int)0x80000000), 0x3F800000, 0x00000001, 0x7F800000, 0x7FC00123 }.Select(BitConverter.Int32BitsToSingle).ToArray()),
            TensorDataType.Fp64 => Numeric(type, new[] { 0L, long.MinValue, 0x3FF0000000000000, 1L, 0x7FF0000000000000, 0x7FF8000000000123 }.Select(BitConverter.Int64BitsToDouble).ToArray()),
            TensorDataType.Bytes => Strings(["", "hello", "héllo wörld", "日本語のテキスト", "emoji 🙂", new string('x', 300)]),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };

        (TensorDataType, OrtValue, byte[]?, string[]?) Numeric<T>(TensorDataType dataType, T[] values)
            where T : unmanaged =>
            (dataType, OrtValue.CreateTensorValueFromMemory(values, shape), System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), null);

        (TensorDataType, OrtValue, byte[]?, string[]?) Strings(string[] values)
        {
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
            for (var i = 0; i < values.Length; i++)
            {
                value.StringTensorSetElementAt(values[i], i);
            }

            return (TensorDataType.Bytes, value, null, values);
        }
    }

    private static float[] Readings(int rows, float gain)
    {
        // A fixed mix of rising, falling, flat and noisy rows within about ±7 times the gain; no System.Random,
        // so failures reproduce.
        var values = new float[rows * 4];
        for (var r = 0; r < rows; r++)
        {
            for (var i = 0; i < 4; i++)
            {
                var trend = (r % 3 - 1) * (i - 1.5f) * (1 + (r % 5)) * 0.4f;
                var wobble = MathF.Sin((r * 4) + (i * 1.7f)) * 0.8f;
                values[(r * 4) + i] = (trend + wobble + ((r % 7) - 3)) * gain;
            }
        }

        return values;
    }

    private static float[] SimulateDemo(MlpParameters p, float[] input, int rows)
    {
        var x = input.Select(v => QuantizeDequantize(v, p.InputScale, p.InputZeroPoint)).ToArray();
        var w1 = p.Weights1.Select(q => q * p.Weights1Scale).ToArray();
        var w2 = p.Weights2.Select(q => q * p.Weights2Scale).ToArray();
        var hidden = AddBias(ModelRunner.MatMul(x, w1, rows, p.InputSize, p.HiddenSize), p.Bias1)
            .Select(v => QuantizeDequantize(Math.Max(v, 0f), p.HiddenScale, p.HiddenZeroPoint))
            .ToArray();
        return Softmax(AddBias(ModelRunner.MatMul(hidden, w2, rows, p.HiddenSize, p.OutputSize), p.Bias2), p.OutputSize);
    }

    private static float QuantizeDequantize(float value, float scale, int zeroPoint)
    {
        var q = Math.Clamp((int)MathF.Round(value / scale, MidpointRounding.ToEven) + zeroPoint, sbyte.MinValue, sbyte.MaxValue);
        return (q - zeroPoint) * scale;
    }

    private static float[] AddBias(float[] values, IReadOnlyList<float> bias) =>
        values.Select((v, index) => v + bias[index % bias.Count]).ToArray();

    private static float[] Softmax(float[] logits, int columns)
    {
        var result = new float[logits.Length];
        for (var row = 0; row < logits.Length / columns; row++)
        {
            var slice = logits.AsSpan(row * columns, columns);
            var max = slice.ToArray().Max();
            var sum = 0.0;
            foreach (var logit in slice)
            {
                sum += Math.Exp(logit - max);
            }

            for (var c = 0; c < columns; c++)
            {
                result[(row * columns) + c] = (float)(Math.Exp(slice[c] - max) / sum);
            }
        }

        return result;
    }

    private static float MaxAbsDifference(float[] left, float[] right) => left.Zip(right, (a, b) => MathF.Abs(a - b)).Max();
}
