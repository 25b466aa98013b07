using System.Buffers.Binary;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>A tiny Open Inference Protocol client, written from the spec, as a Triton or KServe client would call.</summary>
internal static class Oip
{
    public static async Task<(int Status, JsonNode? Body)> PostJsonAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(path, content).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static async Task<(int Status, JsonNode? Body)> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>An FP32 input as JSON.</summary>
    public static string Fp32Request(string input, long[] shape, float[] data, string? extra = null) =>
        $$"""{"inputs":[{"name":"{{input}}","shape":[{{string.Join(",", shape)}}],"datatype":"FP32","data":[{{string.Join(",", data.Select(d => d.ToString("R", CultureInfo.InvariantCulture)))}}]}]{{extra}}}""";

    /// <summary>Sends a binary-extension request: JSON header plus raw tensor bytes; returns the status, the JSON header and the binary outputs by name.</summary>
    public static async Task<(int Status, JsonNode? Header, Dictionary<string, byte[]> Binary)> PostBinaryAsync(HttpClient client, string path, JsonObject header, IReadOnlyList<byte[]> tensors)
    {
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var body = new byte[json.Length + tensors.Sum(t => t.Length)];
        json.CopyTo(body, 0);
        var offset = json.Length;
        foreach (var tensor in tensors)
        {
            tensor.CopyTo(body, offset);
            offset += tensor.Length;
        }

        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", json.Length.ToString(CultureInfo.InvariantCulture));
        using var response = await client.PostAsync(path, content).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return Split(response, bytes);
    }

    /// <summary>Splits a response into its JSON header and binary outputs, as the binary extension lays them out.</summary>
    public static (int Status, JsonNode? Header, Dictionary<string, byte[]> Binary) Split(HttpResponseMessage response, byte[] bytes)
    {
        var binary = new Dictionary<string, byte[]>();
        var headerLength = bytes.Length;
        if (response.Headers.TryGetValues("Inference-Header-Content-Length", out var values))
        {
            headerLength = int.Parse(values.Single(), CultureInfo.InvariantCulture);
        }

        var header = JsonNode.Parse(bytes.AsSpan(0, headerLength));
        var offset = headerLength;
        foreach (var output in header?["outputs"]?.AsArray() ?? [])
        {
            if (output!["parameters"]?["binary_data_size"] is { } size)
            {
                var length = size.GetValue<int>();
                binary[output["name"]!.GetValue<string>()] = bytes.AsSpan(offset, length).ToArray();
                offset += length;
            }
        }

        return ((int)response.StatusCode, header, binary);
    }

    public static float[] Floats(JsonNode? data) => [.. data!.AsArray().Select(v => v!.GetValue<float>())];

    public static byte[] Fp32Bytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    public static float[] FromFp32Bytes(byte[] bytes)
    {
        var values = new float[bytes.Length / 4];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        }

        return values;
    }

    public static string ErrorOf(JsonNode? body) => body?["error"]?.GetValue<string>() ?? throw new AssertionException($"expected an {{\"error\"}} body, got {body?.ToJsonString() ?? "nothing"}");

    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}
