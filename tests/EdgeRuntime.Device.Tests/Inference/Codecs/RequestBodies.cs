using System.Text;

namespace EdgeRuntime.Device.Tests.Inference.Codecs;

/// <summary>Builds request bodies as clients send them: a JSON header, then any binary tensor data.</summary>
internal static class RequestBodies
{
    public static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>The JSON header followed by the tensors' bytes; returns the body and the header's length.</summary>
    public static (byte[] Body, int HeaderLength) Binary(string json, params byte[][] tensors)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var body = new List<byte>(header);
        foreach (var tensor in tensors)
        {
            body.AddRange(tensor);
        }

        return (body.ToArray(), header.Length);
    }

    public static string SingleInput(string datatype, string shape, string data) =>
        $$"""{"inputs":[{"name":"x","datatype":"{{datatype}}","shape":{{shape}},"data":{{data}}}]}""";

    public static string SingleBinaryInput(string datatype, string shape, int size) =>
        $$"""{"inputs":[{"name":"x","datatype":"{{datatype}}","shape":{{shape}},"parameters":{"binary_data_size":{{size}}""" + "}}]}";
}
