using System.Buffers.Binary;
using EdgeRuntime.Device.Inference.Onnx.Proto;
using Google.Protobuf;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>
/// Builds an ONNX model (a serialized <see cref="ModelProto"/>) from code: graph inputs and outputs,
/// initializers, nodes, operator sets and metadata. The same calls always give the same bytes.
/// </summary>
/// <example>
/// <code>
/// var bytes = new OnnxModelBuilder("double")
///     .AddInput("x", DataType.Float, "batch", 3)
///     .AddScalar("two", 2f)
///     .AddNode("Mul", ["x", "two"], ["y"])
///     .AddOutput("y", DataType.Float, "batch", 3)
///     .Build();
/// </code>
/// </example>
internal sealed class OnnxModelBuilder
{
    /// <summary>The <c>producer_name</c> written into every model.</summary>
    public const string ProducerName = "edge-runtime";

    /// <summary>ONNX IR version 8 (ONNX 1.10+), readable by every supported ONNX Runtime.</summary>
    public const long DefaultIrVersion = 8;

    /// <summary>Default-domain opset 17 (ONNX 1.12), well inside what ONNX Runtime 1.31 implements.</summary>
    public const long DefaultOpsetVersion = 17;

    private readonly GraphProto _graph;
    private readonly List<OperatorSetIdProto> _opsets = [new OperatorSetIdProto { Domain = "", Version = DefaultOpsetVersion }];
    private readonly List<StringStringEntryProto> _metadata = [];
    private long _irVersion = DefaultIrVersion;
    private long _modelVersion;
    private string _docString = "";
    private string _domain = "";

    /// <summary>Starts an empty model whose graph is called <paramref name="graphName"/>.</summary>
    public OnnxModelBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Sets the ONNX IR version (default <see cref="DefaultIrVersion"/>).</summary>
    public OnnxModelBuilder WithIrVersion(long irVersion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(irVersion, 3);
        _irVersion = irVersion;
        return this;
    }

    /// <summary>Imports operator set <paramref name="version"/> of <paramref name="domain"/> ("" is the default ONNX domain), replacing an earlier import of that domain.</summary>
    public OnnxModelBuilder WithOpset(long version, string domain = "")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentNullException.ThrowIfNull(domain);
        _opsets.RemoveAll(opset => opset.Domain == domain);
        _opsets.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>Sets <c>model_version</c>, which ONNX Runtime reports as the model's version.</summary>
    public OnnxModelBuilder WithModelVersion(long modelVersion)
    {
        _modelVersion = modelVersion;
        return this;
    }

    /// <summary>Sets the model's doc string, which ONNX Runtime reports as its description.</summary>
    public OnnxModelBuilder WithDocString(string docString)
    {
        _docString = docString ?? "";
        return this;
    }

    /// <summary>Sets the model's domain, e.g. <c>ai.edge-runtime.samples</c>.</summary>
    public OnnxModelBuilder WithDomain(string domain)
    {
        _domain = domain ?? "";
        return this;
    }

    /// <summary>Adds (or replaces) a custom metadata entry.</summary>
    public OnnxModelBuilder WithMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata.RemoveAll(entry => entry.Key == key);
        _metadata.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>Adds a graph input of the given element type and shape.</summary>
    public OnnxModelBuilder AddInput(string name, DataType elementType, params OnnxDimension[] shape)
    {
        _graph.Input.Add(CreateValueInfo(name, elementType, shape));
        return this;
    }

    /// <summary>Adds a graph output of the given element type and shape.</summary>
    public OnnxModelBuilder AddOutput(string name, DataType elementType, params OnnxDimension[] shape)
    {
        _graph.Output.Add(CreateValueInfo(name, elementType, shape));
        return this;
    }

    /// <summary>Adds a float initializer with the given dimensions (row-major values).</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, float[] values)
    {
        var raw = new byte[checked(values.Length * sizeof(float))];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        return AddRawInitializer(name, DataType.Float, dims, values.Length, raw);
    }

    /// <summary>Adds an int8 initializer with the given dimensions.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, sbyte[] values)
    {
        var raw = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            raw[i] = unchecked((byte)values[i]);
        }

        return AddRawInitializer(name, DataType.Int8, dims, values.Length, raw);
    }

    /// <summary>Adds a uint8 initializer with the given dimensions.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, byte[] values) =>
        AddRawInitializer(name, DataType.Uint8, dims, values.Length, (byte[])values.Clone());

    /// <summary>Adds an int32 initializer with the given dimensions.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, int[] values)
    {
        var raw = new byte[checked(values.Length * sizeof(int))];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * sizeof(int)), values[i]);
        }

        return AddRawInitializer(name, DataType.Int32, dims, values.Length, raw);
    }

    /// <summary>Adds an int64 initializer with the given dimensions.</summary>
    public OnnxModelBuilder AddInitializer(string name, long[] dims, long[] values)
    {
        var raw = new byte[checked(values.Length * sizeof(long))];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * sizeof(long)), values[i]);
        }

        return AddRawInitializer(name, DataType.Int64, dims, values.Length, raw);
    }

    /// <summary>Adds a rank-0 float initializer (a scale, a constant).</summary>
    public OnnxModelBuilder AddScalar(string name, float value) => AddInitializer(name, [], [value]);

    /// <summary>Adds a rank-0 int8 initializer (a zero point).</summary>
    public OnnxModelBuilder AddScalar(string name, sbyte value) => AddInitializer(name, [], [value]);

    /// <summary>Adds a rank-0 uint8 initializer (a zero point).</summary>
    public OnnxModelBuilder AddScalar(string name, byte value) => AddInitializer(name, [], [value]);

    /// <summary>Adds a rank-0 int32 initializer.</summary>
    public OnnxModelBuilder AddScalar(string name, int value) => AddInitializer(name, [], [value]);

    /// <summary>Adds a rank-0 int64 initializer.</summary>
    public OnnxModelBuilder AddScalar(string name, long value) => AddInitializer(name, [], [value]);

    /// <summary>
    /// Adds a node of the default ONNX domain. Nodes must be added in topological order; the node is
    /// named <c>{opType}_{n}</c> with n its position in the graph.
    /// </summary>
    public OnnxModelBuilder AddNode(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes) =>
        AddNode("", opType, inputs, outputs, attributes);

    /// <summary>Adds a node of operator domain <paramref name="domain"/> (e.g. <c>com.microsoft</c>); import the domain with <see cref="WithOpset"/>.</summary>
    public OnnxModelBuilder AddNode(string domain, string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(attributes);
        if (outputs.Length == 0)
        {
            throw new ArgumentException("A node needs at least one output.", nameof(outputs));
        }

        var node = new NodeProto { Name = $"{opType}_{_graph.Node.Count}", OpType = opType, Domain = domain };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        foreach (var attribute in attributes)
        {
            node.Attribute.Add(attribute.Clone());
        }

        _graph.Node.Add(node);
        return this;
    }

    /// <summary>A copy of the model built so far, for callers that want to inspect or extend the message.</summary>
    public ModelProto ToModelProto()
    {
        var model = new ModelProto
        {
            IrVersion = _irVersion,
            ProducerName = ProducerName,
            Domain = _domain,
            ModelVersion = _modelVersion,
            DocString = _docString,
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(_opsets.Select(opset => opset.Clone()));
        model.MetadataProps.Add(_metadata.Select(entry => entry.Clone()));
        return model;
    }

    /// <summary>The serialized model, ready for <c>new InferenceSession(bytes)</c> or a <c>.onnx</c> file.</summary>
    public byte[] Build() => ToModelProto().ToByteArray();

    private static ValueInfoProto CreateValueInfo(string name, DataType elementType, OnnxDimension[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (elementType == DataType.Undefined)
        {
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "An element type is required.");
        }

        var tensorShape = new TensorShapeProto();
        foreach (var dimension in shape)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (dimension.Size is { } size)
            {
                dim.DimValue = size;
            }
            else if (dimension.Symbol is { } symbol)
            {
                dim.DimParam = symbol;
            }

            tensorShape.Dim.Add(dim);
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape },
            },
        };
    }

    private OnnxModelBuilder AddRawInitializer(string name, DataType dataType, long[] dims, int count, byte[] raw)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(dims);
        long expected = 1;
        foreach (var dim in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(dims));
            expected = checked(expected * dim);
        }

        if (expected != count)
        {
            throw new ArgumentException(
                $"Initializer '{name}' has {count} values but dims [{string.Join(", ", dims)}] need {expected}.", nameof(dims));
        }

        if (_graph.Initializer.Any(initializer => initializer.Name == name))
        {
            throw new InvalidOperationException($"Initializer '{name}' is already defined.");
        }

        var tensor = new TensorProto { Name = name, DataType = (int)dataType, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.Add(dims);
        _graph.Initializer.Add(tensor);
        return this;
    }
}
