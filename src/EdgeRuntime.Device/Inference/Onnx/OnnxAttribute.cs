using System.Text;
using EdgeRuntime.Device.Inference.Onnx.Proto;

namespace EdgeRuntime.Device.Inference.Onnx;

/// <summary>Creates node attributes for <see cref="OnnxModelBuilder.AddNode(string, string[], string[], AttributeProto[])"/>.</summary>
internal static class OnnxAttribute
{
    /// <summary>An integer attribute, e.g. <c>axis</c>.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute, e.g. <c>alpha</c>.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A list-of-integers attribute, e.g. <c>perm</c> or <c>axes</c>.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    /// <summary>A list-of-floats attribute.</summary>
    public static AttributeProto Floats(string name, params float[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.Add(values);
        return attribute;
    }

    /// <summary>A UTF-8 string attribute, e.g. <c>mode</c>.</summary>
    public static AttributeProto String(string name, string value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.String,
            S = Google.Protobuf.ByteString.CopyFrom(Encoding.UTF8.GetBytes(value)),
        };
}
