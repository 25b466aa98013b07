using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// Small deterministic ONNX models for the bundled demo, tests and benchmarks, built in code with
/// <see cref="OnnxModelBuilder"/> (no files, no random numbers). Every model's first dimension is the
/// dynamic <c>"batch"</c>, so several rows can be sent at once; the constants a test needs to compute
/// the expected output on its own are exposed next to each model.
/// </summary>
internal static class SyntheticModels
{
    /// <summary>The first dimension of every input and output.</summary>
    public const string BatchDimension = "batch";

    private const string Version = "1";
    private const string ModelDomain = "ai.edge-runtime.synthetic";
    private const int ComputeBoundWidth = 1024;

    /// <summary>The input width of <see cref="Scorer"/>.</summary>
    public const int ScorerFeatures = 64;

    private static readonly TensorDataType[] AllTypesList =
    [
        TensorDataType.Bool,
        TensorDataType.UInt8,
        TensorDataType.UInt16,
        TensorDataType.UInt32,
        TensorDataType.UInt64,
        TensorDataType.Int8,
        TensorDataType.Int16,
        TensorDataType.Int32,
        TensorDataType.Int64,
        TensorDataType.Fp16,
        TensorDataType.Fp32,
        TensorDataType.Fp64,
        TensorDataType.Bf16,
        TensorDataType.Bytes,
    ];

    /// <summary>
    /// The constants of <see cref="Demo"/> and <see cref="FloatMlp"/>: a trend detector over four consecutive
    /// sensor readings. Hidden units 0, 2, 4, 6 respond to a rising slope (with growing gain and threshold),
    /// units 1, 3, 5, 7 to a falling one; the output classes are falling, steady and rising, with a bias
    /// that makes "steady" win when neither slope detector fires.
    /// </summary>
    public static MlpParameters DemoWeights => new()
    {
        InputSize = 4,
        HiddenSize = 8,
        OutputSize = 3,
        Labels = ["falling", "steady", "rising"],
        // Inputs in [-16, 15.875] in steps of 1/8, so readings such as 1, 2.5 or -3.25 quantize exactly.
        InputScale = 0.125f,
        InputZeroPoint = 0,
        Weights1 = Matrix(4, 8, (i, j) => checked((sbyte)((j % 2 == 0 ? 1 : -1) * ((2 * i) - 3) * (1 + (j / 2)) * 8))),
        // 1/128: W1 = (i - 1.5) · (1 + j/2) / 8 · sign(j), exact in float.
        Weights1Scale = 1f / 128,
        Bias1 = Vector(8, j => -0.125f * (j / 2)),
        // Relu output in [0, 51] with zero point -128; 0.2 is not a power of two, so few values sit on a rounding tie.
        HiddenScale = 0.2f,
        HiddenZeroPoint = -128,
        Weights2 = Matrix(8, 3, (j, c) => c switch
        {
            0 => (sbyte)(j % 2 == 1 ? 64 : -64),
            1 => (sbyte)-32,
            _ => (sbyte)(j % 2 == 0 ? 64 : -64),
        }),
        // 1/64: W2 is ±1 towards the matching trend and -0.5 towards "steady".
        Weights2Scale = 1f / 64,
        Bias2 = [0f, 2f, 0f],
    };

    /// <summary>The constants of <see cref="QOperatorUInt8"/>.</summary>
    public static QLinearMatMulParameters QOperatorWeights => new()
    {
        InputSize = 4,
        OutputSize = 2,
        InputScale = 1f / 16,
        InputZeroPoint = 128,
        // Column 0 weighs reading i by (i + 1) / 4; column 1 by the centred slope -(2i - 3) / 8.
        Weights = Matrix(4, 2, (i, j) => checked((byte)(j == 0 ? 128 + (16 * (i + 1)) : 128 - (8 * ((2 * i) - 3))))),
        WeightScale = 1f / 64,
        WeightZeroPoint = 128,
        OutputScale = 0.2f,
        OutputZeroPoint = 128,
    };

    /// <summary>The constants of <see cref="DynamicQuantized"/>.</summary>
    public static DynamicMatMulParameters DynamicWeights => new()
    {
        InputSize = 4,
        OutputSize = 3,
        // A fixed scramble of the integers -15..15, times 8: values in [-120, 104].
        Weights = Matrix(4, 3, (i, j) => checked((sbyte)(((((7 * ((3 * i) + j)) + 3) % 31) - 15) * 8))),
        WeightScale = 1f / 128,
        WeightZeroPoint = 0,
    };

    /// <summary>
    /// The constants of <see cref="ComputeBound"/>: multiples of 1/64 in [-8/64, 8/64] (W1) and [-9/64, 9/64]
    /// (W2) in a fixed scramble (the <c>i · j</c> term keeps rows from cancelling), so an input in [-1, 1]
    /// gives activations of a few units.
    /// </summary>
    public static ComputeBoundParameters ComputeBoundWeights => new()
    {
        Width = ComputeBoundWidth,
        Weights1 = Matrix(ComputeBoundWidth, ComputeBoundWidth, (i, j) => ((((7 * i) + (13 * j) + (i * j % 23)) % 17) - 8) / 64f),
        Weights2 = Matrix(ComputeBoundWidth, ComputeBoundWidth, (i, j) => ((((11 * i) + (5 * j) + (i * j % 29)) % 19) - 9) / 64f),
    };

    /// <summary>The element types of <see cref="AllTypes"/>, one input/output pair each.</summary>
    public static IReadOnlyList<TensorDataType> AllTypesDataTypes => AllTypesList;

    /// <summary>The input of <see cref="AllTypes"/> for a type, e.g. <c>in_fp32</c>, <c>in_bytes</c>.</summary>
    public static string AllTypesInputName(TensorDataType type) => "in_" + TypeSuffix(type);

    /// <summary>The output of <see cref="AllTypes"/> for a type, e.g. <c>out_fp32</c>.</summary>
    public static string AllTypesOutputName(TensorDataType type) => "out_" + TypeSuffix(type);

    /// <summary>
    /// The bundled demo: a static int8 QDQ classifier of the trend in four sensor readings.
    /// Input <c>input</c> FP32 [batch, 4]; output <c>probabilities</c> FP32 [batch, 3] (falling, steady, rising).
    /// </summary>
    public static SyntheticModel Demo()
    {
        var p = DemoWeights;
        const string description =
            "EdgeRuntime demo: int8 static-quantized (QDQ) classifier of the trend in 4 consecutive sensor readings. " +
            "Input 'input' FP32 [batch, 4], readings in [-16, 16) (resolution 0.125). " +
            "Output 'probabilities' FP32 [batch, 3]: falling, steady, rising. " +
            "Example: [1, 2, 3, 4] -> rising (>0.99), [4, 3, 2, 1] -> falling, [2, 2, 2, 2] -> steady (~0.79).";
        var bytes = NewBuilder("demo", description)
            .WithMetadata("labels", string.Join(',', p.Labels))
            .WithMetadata("quantization", "QDQ static int8")
            .AddInput("input", DataType.Float, BatchDimension, p.InputSize)
            .AddScalar("input_scale", p.InputScale)
            .AddScalar("input_zero_point", p.InputZeroPoint)
            .AddInitializer("fc1_weight_quantized", [p.InputSize, p.HiddenSize], [.. p.Weights1])
            .AddScalar("fc1_weight_scale", p.Weights1Scale)
            .AddScalar("fc1_weight_zero_point", (sbyte)0)
            .AddInitializer("fc1_bias", [p.HiddenSize], [.. p.Bias1])
            .AddScalar("hidden_scale", p.HiddenScale)
            .AddScalar("hidden_zero_point", p.HiddenZeroPoint)
            .AddInitializer("fc2_weight_quantized", [p.HiddenSize, p.OutputSize], [.. p.Weights2])
            .AddScalar("fc2_weight_scale", p.Weights2Scale)
            .AddScalar("fc2_weight_zero_point", (sbyte)0)
            .AddInitializer("fc2_bias", [p.OutputSize], [.. p.Bias2])
            .AddNode("QuantizeLinear", ["input", "input_scale", "input_zero_point"], ["input_quantized"])
            .AddNode("DequantizeLinear", ["input_quantized", "input_scale", "input_zero_point"], ["input_dequantized"])
            .AddNode("DequantizeLinear", ["fc1_weight_quantized", "fc1_weight_scale", "fc1_weight_zero_point"], ["fc1_weight"])
            .AddNode("MatMul", ["input_dequantized", "fc1_weight"], ["fc1_matmul"])
            .AddNode("Add", ["fc1_matmul", "fc1_bias"], ["fc1_add"])
            .AddNode("Relu", ["fc1_add"], ["hidden"])
            .AddNode("QuantizeLinear", ["hidden", "hidden_scale", "hidden_zero_point"], ["hidden_quantized"])
            .AddNode("DequantizeLinear", ["hidden_quantized", "hidden_scale", "hidden_zero_point"], ["hidden_dequantized"])
            .AddNode("DequantizeLinear", ["fc2_weight_quantized", "fc2_weight_scale", "fc2_weight_zero_point"], ["fc2_weight"])
            .AddNode("MatMul", ["hidden_dequantized", "fc2_weight"], ["fc2_matmul"])
            .AddNode("Add", ["fc2_matmul", "fc2_bias"], ["logits"])
            .AddNode("Softmax", ["logits"], ["probabilities"], OnnxAttribute.Int("axis", 1))
            .AddOutput("probabilities", DataType.Float, BatchDimension, p.OutputSize)
            .Build();
        return new SyntheticModel("demo", Version, description, bytes);
    }

    /// <summary>
    /// <see cref="Demo"/> in plain float: same graph without quantization, weights = the dequantized demo weights.
    /// Input <c>input</c> FP32 [batch, 4]; output <c>probabilities</c> FP32 [batch, 3].
    /// </summary>
    public static SyntheticModel FloatMlp()
    {
        var p = DemoWeights;
        const string description =
            "Float twin of the demo model (same weights, dequantized, no quantization). " +
            "Input 'input' FP32 [batch, 4]; output 'probabilities' FP32 [batch, 3]: falling, steady, rising.";
        var bytes = NewBuilder("float_mlp", description)
            .WithMetadata("labels", string.Join(',', p.Labels))
            .AddInput("input", DataType.Float, BatchDimension, p.InputSize)
            .AddInitializer("fc1_weight", [p.InputSize, p.HiddenSize], Dequantize(p.Weights1, p.Weights1Scale))
            .AddInitializer("fc1_bias", [p.HiddenSize], [.. p.Bias1])
            .AddInitializer("fc2_weight", [p.HiddenSize, p.OutputSize], Dequantize(p.Weights2, p.Weights2Scale))
            .AddInitializer("fc2_bias", [p.OutputSize], [.. p.Bias2])
            .AddNode("MatMul", ["input", "fc1_weight"], ["fc1_matmul"])
            .AddNode("Add", ["fc1_matmul", "fc1_bias"], ["fc1_add"])
            .AddNode("Relu", ["fc1_add"], ["hidden"])
            .AddNode("MatMul", ["hidden", "fc2_weight"], ["fc2_matmul"])
            .AddNode("Add", ["fc2_matmul", "fc2_bias"], ["logits"])
            .AddNode("Softmax", ["logits"], ["probabilities"], OnnxAttribute.Int("axis", 1))
            .AddOutput("probabilities", DataType.Float, BatchDimension, p.OutputSize)
            .Build();
        return new SyntheticModel("float_mlp", Version, description, bytes);
    }

    /// <summary>
    /// A static uint8 model in QOperator format: QuantizeLinear → QLinearMatMul → DequantizeLinear.
    /// Input <c>x</c> FP32 [batch, 4]; output <c>y</c> FP32 [batch, 2].
    /// </summary>
    public static SyntheticModel QOperatorUInt8()
    {
        var p = QOperatorWeights;
        const string description =
            "Static uint8 QOperator model: QuantizeLinear -> QLinearMatMul (uint8 weights) -> DequantizeLinear. " +
            "Input 'x' FP32 [batch, 4]; output 'y' FP32 [batch, 2].";
        var bytes = NewBuilder("qoperator_uint8", description)
            .AddInput("x", DataType.Float, BatchDimension, p.InputSize)
            .AddScalar("x_scale", p.InputScale)
            .AddScalar("x_zero_point", p.InputZeroPoint)
            .AddInitializer("w_quantized", [p.InputSize, p.OutputSize], [.. p.Weights])
            .AddScalar("w_scale", p.WeightScale)
            .AddScalar("w_zero_point", p.WeightZeroPoint)
            .AddScalar("y_scale", p.OutputScale)
            .AddScalar("y_zero_point", p.OutputZeroPoint)
            .AddNode("QuantizeLinear", ["x", "x_scale", "x_zero_point"], ["x_quantized"])
            .AddNode(
                "QLinearMatMul",
                ["x_quantized", "x_scale", "x_zero_point", "w_quantized", "w_scale", "w_zero_point", "y_scale", "y_zero_point"],
                ["y_quantized"])
            .AddNode("DequantizeLinear", ["y_quantized", "y_scale", "y_zero_point"], ["y"])
            .AddOutput("y", DataType.Float, BatchDimension, p.OutputSize)
            .Build();
        return new SyntheticModel("qoperator_uint8", Version, description, bytes);
    }

    /// <summary>
    /// A dynamically quantized model as onnxruntime's <c>quantize_dynamic</c> writes a MatMul:
    /// DynamicQuantizeLinear → MatMulInteger (int8 weights) → Cast → Mul by (input scale · weight scale).
    /// Input <c>x</c> FP32 [batch, 4]; output <c>y</c> FP32 [batch, 3].
    /// </summary>
    public static SyntheticModel DynamicQuantized()
    {
        var p = DynamicWeights;
        const string description =
            "Dynamic-quantized MatMul: DynamicQuantizeLinear (uint8) -> MatMulInteger (int8 weights) -> Cast -> Mul by scales. " +
            "Input 'x' FP32 [batch, 4]; output 'y' FP32 [batch, 3].";
        var bytes = NewBuilder("dynamic_quantized", description)
            .AddInput("x", DataType.Float, BatchDimension, p.InputSize)
            .AddInitializer("w_quantized", [p.InputSize, p.OutputSize], [.. p.Weights])
            .AddScalar("w_scale", p.WeightScale)
            .AddScalar("w_zero_point", p.WeightZeroPoint)
            .AddNode("DynamicQuantizeLinear", ["x"], ["x_quantized", "x_scale", "x_zero_point"])
            .AddNode("MatMulInteger", ["x_quantized", "w_quantized", "x_zero_point", "w_zero_point"], ["y_int32"])
            .AddNode("Cast", ["y_int32"], ["y_float"], OnnxAttribute.Int("to", (long)DataType.Float))
            .AddNode("Mul", ["x_scale", "w_scale"], ["y_scale"])
            .AddNode("Mul", ["y_float", "y_scale"], ["y"])
            .AddOutput("y", DataType.Float, BatchDimension, p.OutputSize)
            .Build();
        return new SyntheticModel("dynamic_quantized", Version, description, bytes);
    }

    /// <summary>
    /// One Identity per protocol datatype: input <c>in_{type}</c> → output <c>out_{type}</c>, shape
    /// [batch, -1], for the types in <see cref="AllTypesDataTypes"/> (e.g. <c>in_bool</c>, <c>in_fp16</c>, <c>in_bytes</c>).
    /// </summary>
    public static SyntheticModel AllTypes()
    {
        const string description =
            "Echoes one tensor per datatype: input 'in_<type>' -> Identity -> output 'out_<type>', shape [batch, -1], " +
            "for bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, fp16, fp32, fp64, bf16 and bytes (string).";
        var builder = NewBuilder("all_types", description);
        foreach (var type in AllTypesList)
        {
            builder.AddInput(AllTypesInputName(type), ToOnnx(type), BatchDimension, OnnxDimension.Unknown);
        }

        foreach (var type in AllTypesList)
        {
            builder.AddNode("Identity", [AllTypesInputName(type)], [AllTypesOutputName(type)]);
        }

        foreach (var type in AllTypesList)
        {
            builder.AddOutput(AllTypesOutputName(type), ToOnnx(type), BatchDimension, OnnxDimension.Unknown);
        }

        return new SyntheticModel("all_types", Version, description, builder.Build());
    }

    /// <summary>
    /// Two inputs, three outputs: <c>a</c>, <c>b</c> FP32 [batch, 3] → <c>sum</c> = a + b FP32 [batch, 3],
    /// <c>product</c> = a · b FP32 [batch, 3], <c>argmax</c> = argmax(sum, axis 1) INT64 [batch].
    /// </summary>
    public static SyntheticModel MultiIo()
    {
        const string description =
            "Two inputs 'a', 'b' FP32 [batch, 3]; outputs 'sum' = a + b and 'product' = a * b FP32 [batch, 3], " +
            "'argmax' = index of the largest element of each row of sum, INT64 [batch].";
        var bytes = NewBuilder("multi_io", description)
            .AddInput("a", DataType.Float, BatchDimension, 3)
            .AddInput("b", DataType.Float, BatchDimension, 3)
            .AddNode("Add", ["a", "b"], ["sum"])
            .AddNode("Mul", ["a", "b"], ["product"])
            .AddNode("ArgMax", ["sum"], ["argmax"], OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0))
            .AddOutput("sum", DataType.Float, BatchDimension, 3)
            .AddOutput("product", DataType.Float, BatchDimension, 3)
            .AddOutput("argmax", DataType.Int64, BatchDimension)
            .Build();
        return new SyntheticModel("multi_io", Version, description, bytes);
    }

    /// <summary>
    /// A compute-bound float model for batching benchmarks: two dense 1024 × 1024 layers,
    /// <c>y = Relu(x · W1) · W2</c> (8 MiB of weights). One row is a matrix-vector product limited by memory
    /// bandwidth; a batch of rows is a matrix product that reuses every weight it loads, so batching pays.
    /// Input <c>x</c> FP32 [batch, 1024]; output <c>y</c> FP32 [batch, 1024].
    /// </summary>
    public static SyntheticModel ComputeBound()
    {
        var p = ComputeBoundWeights;
        const string description =
            "Compute-bound benchmark model: y = Relu(x * W1) * W2 with two dense 1024 x 1024 float weight matrices. " +
            "Input 'x' FP32 [batch, 1024]; output 'y' FP32 [batch, 1024].";
        var bytes = NewBuilder("compute_bound", description)
            .AddInput("x", DataType.Float, BatchDimension, p.Width)
            .AddInitializer("w1", [p.Width, p.Width], [.. p.Weights1])
            .AddInitializer("w2", [p.Width, p.Width], [.. p.Weights2])
            .AddNode("MatMul", ["x", "w1"], ["h_matmul"])
            .AddNode("Relu", ["h_matmul"], ["h"])
            .AddNode("MatMul", ["h", "w2"], ["y"])
            .AddOutput("y", DataType.Float, BatchDimension, p.Width)
            .Build();
        return new SyntheticModel("compute_bound", Version, description, bytes);
    }

    /// <summary>
    /// A compute-heavy scorer for batch-job benchmarks: 64 features through dense 64 × 1024, 1024 × 1024 and 1024 × 8
    /// layers, <c>scores = Relu(Relu(x · W1) · W2) · W3</c>. Like a real classifier its rows are small next to its
    /// compute, so a batch job's cost beside the model is mostly reading rows and writing their results.
    /// Input <c>x</c> FP32 [batch, 64]; output <c>scores</c> FP32 [batch, 8].
    /// </summary>
    public static SyntheticModel Scorer()
    {
        const int features = ScorerFeatures, hidden = ComputeBoundWidth, classes = 8;
        const string description =
            "Scorer benchmark model: scores = Relu(Relu(x * W1) * W2) * W3 with dense 64 x 1024, 1024 x 1024 and 1024 x 8 float weights. " +
            "Input 'x' FP32 [batch, 64]; output 'scores' FP32 [batch, 8].";
        var bytes = NewBuilder("scorer", description)
            .AddInput("x", DataType.Float, BatchDimension, features)
            .AddInitializer("w1", [features, hidden], Matrix(features, hidden, (i, j) => ((((7 * i) + (13 * j)) % 17) - 8) / 32f))
            .AddInitializer("w2", [hidden, hidden], [.. ComputeBoundWeights.Weights2])
            .AddInitializer("w3", [hidden, classes], Matrix(hidden, classes, (i, j) => ((((3 * i) + (17 * j)) % 13) - 6) / 256f))
            .AddNode("MatMul", ["x", "w1"], ["h1_matmul"])
            .AddNode("Relu", ["h1_matmul"], ["h1"])
            .AddNode("MatMul", ["h1", "w2"], ["h2_matmul"])
            .AddNode("Relu", ["h2_matmul"], ["h2"])
            .AddNode("MatMul", ["h2", "w3"], ["scores"])
            .AddOutput("scores", DataType.Float, BatchDimension, classes)
            .Build();
        return new SyntheticModel("scorer", Version, description, bytes);
    }

    private static OnnxModelBuilder NewBuilder(string name, string description) =>
        new OnnxModelBuilder(name)
            .WithDomain(ModelDomain)
            .WithModelVersion(long.Parse(Version, System.Globalization.CultureInfo.InvariantCulture))
            .WithDocString(description)
            .WithMetadata("version", Version);

    private static string TypeSuffix(TensorDataType type) => type.ToWireName().ToLowerInvariant();

    private static DataType ToOnnx(TensorDataType type) => type switch
    {
        TensorDataType.Bool => DataType.Bool,
        TensorDataType.UInt8 => DataType.Uint8,
        TensorDataType.UInt16 => DataType.Uint16,
        TensorDataType.UInt32 => DataType.Uint32,
        TensorDataType.UInt64 => DataType.Uint64,
        TensorDataType.Int8 => DataType.Int8,
        TensorDataType.Int16 => DataType.Int16,
        TensorDataType.Int32 => DataType.Int32,
        TensorDataType.Int64 => DataType.Int64,
        TensorDataType.Fp16 => DataType.Float16,
        TensorDataType.Fp32 => DataType.Float,
        TensorDataType.Fp64 => DataType.Double,
        TensorDataType.Bf16 => DataType.Bfloat16,
        TensorDataType.Bytes => DataType.String,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static float[] Dequantize(IReadOnlyList<sbyte> values, float scale) => [.. values.Select(q => q * scale)];

    private static T[] Matrix<T>(int rows, int columns, Func<int, int, T> element)
    {
        var values = new T[rows * columns];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < columns; j++)
            {
                values[(i * columns) + j] = element(i, j);
            }
        }

        return values;
    }

    private static float[] Vector(int length, Func<int, float> element) => [.. Enumerable.Range(0, length).Select(element)];
}
