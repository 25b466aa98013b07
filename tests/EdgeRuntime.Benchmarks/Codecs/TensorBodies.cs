using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeRuntime.Benchmarks.Codecs;

/// <summary>Request bodies with one FP32 input (by default <c>x</c>, of shape [1, n]), as clients send them.</summary>
internal static class TensorBodies
{
    /// <summary>The elements: a fixed pattern of short decimals (0, 0.25, ..., 24.75), so JSON stays compact.</summary>
    public static float[] Elements(int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = i % 100 * 0.25f;
        }

        return values;
    }

    public static byte[] Json(float[] values, string inputName = "x", long[]? shape = null)
    {
        var json = new StringBuilder(values.Length * 6);
        json.Append(CultureInfo.InvariantCulture, $$"""{"inputs":[{"name":"{{inputName}}","shape":{{Shape(values, shape)}},"datatype":"FP32","data":[""");
        for (var i = 0; i < values.Length; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(values[i].ToString(CultureInfo.InvariantCulture));
        }

        json.Append("]}]}");
        return Encoding.UTF8.GetBytes(json.ToString());
    }

    /// <summary>The binary tensor extension: JSON header, then the raw bytes; outputs asked for in binary too.</summary>
    public static (byte[] Body, int HeaderLength) Binary(float[] values, string inputName = "x", long[]? shape = null)
    {
        var header = Encoding.UTF8.GetBytes(
            $$$"""{"inputs":[{"name":"{{{inputName}}}","shape":{{{Shape(values, shape)}}},"datatype":"FP32","parameters":{"binary_data_size":{{{values.Length * 4}}}}}],"parameters":{"binary_data_output":true}}""");
        return ([.. header, .. MemoryMarshal.AsBytes(values.AsSpan())], header.Length);
    }

    /// <summary>A raw binary body (<c>Inference-Header-Content-Length: 0</c>): just the tensor's bytes.</summary>
    public static byte[] Raw(float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static string Shape(float[] values, long[]? shape) =>
        $"[{string.Join(",", shape ?? [1, values.Length])}]";
}
