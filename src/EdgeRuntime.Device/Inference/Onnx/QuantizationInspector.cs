using EdgeRuntime.Device.Inference.Onnx.Proto;
using Google.Protobuf;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// Reads an ONNX model's graph (not its weights' values) and tells whether and how it is quantized,
/// following the patterns onnxruntime's quantization tool writes: QDQ (QuantizeLinear/DequantizeLinear
/// around float operators), QOperator (QLinear* or MatMulInteger/ConvInteger), static or dynamic
/// (DynamicQuantizeLinear), and the int types of weights and activations. Never throws on a bad model:
/// the answer is then <see cref="QuantizationInfo.Unknown"/>.
/// </summary>
internal static class QuantizationInspector
{
    // Protobuf caps a message at 2 GiB anyway; larger models keep their weights in external data files.
    private const int SizeLimit = int.MaxValue;

    // Each nested subgraph (If/Loop/Scan bodies) costs four levels: node, attribute, graph, node.
    private const int RecursionLimit = 400;

    private static readonly HashSet<string> QLinearOperators = new(StringComparer.Ordinal)
    {
        "QGemm", "QAttention", "QEmbedLayerNormalization", "QOrderedMatMul", "QOrderedGelu", "QOrderedLayerNormalization",
    };

    private static readonly HashSet<string> IntegerOperators = new(StringComparer.Ordinal)
    {
        "MatMulInteger", "ConvInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "DynamicQuantizeLSTM",
    };

    /// <summary>Inspects the model file at <paramref name="modelPath"/>.</summary>
    public static QuantizationInfo Inspect(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        try
        {
            using var stream = new FileStream(modelPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            return Inspect(stream);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return QuantizationInfo.Unknown($"Cannot read '{modelPath}': {ex.Message}");
        }
    }

    /// <summary>Inspects a serialized model.</summary>
    public static QuantizationInfo Inspect(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream(model, writable: false);
        return Inspect(stream);
    }

    /// <summary>Inspects a serialized model read from <paramref name="stream"/>, which stays open.</summary>
    public static QuantizationInfo Inspect(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ModelProto model;
        try
        {
            // Not disposed: disposing the CodedInputStream would close the caller's stream.
            var input = CodedInputStream.CreateWithLimits(stream, SizeLimit, RecursionLimit);
            model = new ModelProto();
            model.MergeFrom(input);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or IOException)
        {
            return QuantizationInfo.Unknown($"Not a readable ONNX model: {ex.Message}");
        }

        if (model.Graph is null || model.IrVersion <= 0)
        {
            return QuantizationInfo.Unknown("Not an ONNX model: it has no graph or no IR version.");
        }

        return Inspect(model);
    }

    /// <summary>Inspects a parsed model.</summary>
    public static QuantizationInfo Inspect(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
        {
            return QuantizationInfo.Unknown("The model has no graph.");
        }

        var nodes = new List<NodeProto>();
        var constants = new Dictionary<string, DataType>(StringComparer.Ordinal);
        var usesExternalData = false;
        CollectGraph(model.Graph, nodes, constants, ref usesExternalData);

        int quantize = 0, dequantize = 0, dynamicQuantize = 0, qlinear = 0, integer = 0;
        var dynamicFused = false;
        var weightTypes = new List<QuantizedElementType>();
        var activationTypes = new List<QuantizedElementType>();
        var fallbackActivationTypes = new List<QuantizedElementType>();
        var sawWeightSlot = false;

        foreach (var node in nodes)
        {
            switch (node.OpType)
            {
                case "QuantizeLinear":
                    quantize++;
                    if (IsConstant(node, 0, constants))
                    {
                        // An unfolded weight: Q(float initializer) → DQ.
                        sawWeightSlot = true;
                        weightTypes.Add(QuantizeLinearOutputType(node, constants));
                    }
                    else
                    {
                        activationTypes.Add(QuantizeLinearOutputType(node, constants));
                    }

                    break;
                case "DequantizeLinear":
                    dequantize++;
                    if (ConstantType(node, 0, constants) is { } dequantizedType && dequantizedType != DataType.Int32)
                    {
                        // int32 constants are quantized biases; they say nothing about the weight type.
                        sawWeightSlot = true;
                        weightTypes.Add(ToQuantizedType(dequantizedType));
                    }

                    break;
                case "DynamicQuantizeLinear":
                    dynamicQuantize++;
                    activationTypes.Add(QuantizedElementType.UInt8);
                    break;
                case var op when op.StartsWith("QLinear", StringComparison.Ordinal) || QLinearOperators.Contains(op):
                    qlinear++;
                    if (op is "QLinearConv" or "QLinearMatMul" or "QGemm")
                    {
                        sawWeightSlot = true;
                        AddConstantType(node, 3, constants, weightTypes);
                    }

                    AddConstantType(node, 2, constants, fallbackActivationTypes);
                    break;
                case var op when IntegerOperators.Contains(op):
                    integer++;
                    dynamicFused |= op is "DynamicQuantizeMatMul" or "DynamicQuantizeLSTM";
                    sawWeightSlot = true;
                    AddConstantType(node, 1, constants, weightTypes);
                    if (op is "MatMulInteger" or "ConvInteger")
                    {
                        AddConstantType(node, 2, constants, fallbackActivationTypes);
                    }

                    break;
            }
        }

        var format = qlinear + integer > 0 ? QuantizationFormat.QOperator
            : quantize + dequantize + dynamicQuantize > 0 ? QuantizationFormat.Qdq
            : QuantizationFormat.None;
        var mode = format == QuantizationFormat.None ? QuantizationMode.None
            : dynamicQuantize > 0 || dynamicFused ? QuantizationMode.Dynamic
            : QuantizationMode.Static;

        return new QuantizationInfo
        {
            Format = format,
            Mode = mode,
            WeightType = format == QuantizationFormat.None || !sawWeightSlot ? QuantizedElementType.None
                : MostCommon(weightTypes) ?? QuantizedElementType.Unknown,
            ActivationType = format == QuantizationFormat.None ? QuantizedElementType.None
                : MostCommon(activationTypes) ?? MostCommon(fallbackActivationTypes)
                    // Weight-only QDQ (DequantizeLinear on initializers, no QuantizeLinear on activations) keeps float activations.
                    ?? (format == QuantizationFormat.Qdq && activationTypes.Count == 0 ? QuantizedElementType.None : QuantizedElementType.Unknown),
            NodeCount = nodes.Count,
            QuantizeLinearCount = quantize,
            DequantizeLinearCount = dequantize,
            DynamicQuantizeLinearCount = dynamicQuantize,
            QLinearOperatorCount = qlinear,
            IntegerOperatorCount = integer,
            UsesExternalData = usesExternalData,
        };
    }

    private static void CollectGraph(GraphProto graph, List<NodeProto> nodes, Dictionary<string, DataType> constants, ref bool usesExternalData)
    {
        foreach (var initializer in graph.Initializer)
        {
            constants[initializer.Name] = (DataType)initializer.DataType;
            usesExternalData |= initializer.DataLocation == TensorProto.Types.DataLocation.External;
        }

        foreach (var node in graph.Node)
        {
            nodes.Add(node);
            foreach (var attribute in node.Attribute)
            {
                if (node.OpType == "Constant" && attribute.Name == "value" && attribute.T is { } value && node.Output.Count > 0)
                {
                    constants[node.Output[0]] = (DataType)value.DataType;
                }

                if (attribute.G is { } subgraph)
                {
                    CollectGraph(subgraph, nodes, constants, ref usesExternalData);
                }

                foreach (var graphAttribute in attribute.Graphs)
                {
                    CollectGraph(graphAttribute, nodes, constants, ref usesExternalData);
                }
            }
        }
    }

    private static bool IsConstant(NodeProto node, int input, Dictionary<string, DataType> constants) =>
        ConstantType(node, input, constants) is not null;

    private static DataType? ConstantType(NodeProto node, int input, Dictionary<string, DataType> constants) =>
        input < node.Input.Count && constants.TryGetValue(node.Input[input], out var type) ? type : null;

    private static void AddConstantType(NodeProto node, int input, Dictionary<string, DataType> constants, List<QuantizedElementType> types)
    {
        if (ConstantType(node, input, constants) is { } type)
        {
            types.Add(ToQuantizedType(type));
        }
    }

    // QuantizeLinear's output type is its zero point's type; without a zero point it is output_dtype (opset 21) or uint8.
    private static QuantizedElementType QuantizeLinearOutputType(NodeProto node, Dictionary<string, DataType> constants)
    {
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            return ConstantType(node, 2, constants) is { } zeroPointType ? ToQuantizedType(zeroPointType) : QuantizedElementType.Unknown;
        }

        var outputType = node.Attribute.FirstOrDefault(attribute => attribute.Name == "output_dtype")?.I ?? 0;
        return outputType == 0 ? QuantizedElementType.UInt8 : ToQuantizedType((DataType)outputType);
    }

    private static QuantizedElementType ToQuantizedType(DataType type) => type switch
    {
        DataType.Int8 => QuantizedElementType.Int8,
        DataType.Uint8 => QuantizedElementType.UInt8,
        DataType.Int16 => QuantizedElementType.Int16,
        DataType.Uint16 => QuantizedElementType.UInt16,
        DataType.Int4 => QuantizedElementType.Int4,
        DataType.Uint4 => QuantizedElementType.UInt4,
        DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz => QuantizedElementType.Float8,
        _ => QuantizedElementType.Other,
    };

    // The most frequent known type, the earliest seen on a tie; null when there is none.
    private static QuantizedElementType? MostCommon(List<QuantizedElementType> types)
    {
        QuantizedElementType? best = null;
        var bestCount = 0;
        foreach (var candidate in types.Where(type => type != QuantizedElementType.Unknown).Distinct())
        {
            var count = types.Count(type => type == candidate);
            if (count > bestCount)
            {
                best = candidate;
                bestCount = count;
            }
        }

        return best;
    }
}
