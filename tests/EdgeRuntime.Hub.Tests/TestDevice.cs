using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeRuntime.Hub.Tests;

/// <summary>A real MQTTnet 5 client acting as a device, collecting what it receives.</summary>
internal sealed class TestDevice : IAsyncDisposable
{
    private TestDevice(IMqttClient client, string deviceId)
    {
        Client = client;
        DeviceId = deviceId;
        client.ApplicationMessageReceivedAsync += e =>
        {
            Received.Enqueue(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public string DeviceId { get; }

    public ConcurrentQueue<MqttApplicationMessage> Received { get; } = new();

    public static MqttClientOptions Options(int port, string user, string password, string? clientId = null) => new MqttClientOptionsBuilder()
        .WithTcpServer("127.0.0.1", port)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId(clientId ?? user)
        .WithCredentials(user, password)
        .WithTimeout(TimeSpan.FromSeconds(10))
        .Build();

    /// <summary>The connect outcome: the result code's name, or the refusal's message (which names the code).</summary>
    public static async Task<string> TryConnectAsync(MqttClientOptions options)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var result = await client.ConnectAsync(options);
            await client.DisconnectAsync();
            return result.ResultCode.ToString();
        }
        catch (MqttConnectingFailedException ex)
        {
            return ex.Message;
        }
    }

    public static async Task<TestDevice> ConnectAsync(int port, string deviceId, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var device = new TestDevice(client, deviceId);
        var result = await client.ConnectAsync(Options(port, deviceId, password));
        Assert.That(result.ResultCode, Is.EqualTo(MqttClientConnectResultCode.Success));
        return device;
    }

    public static byte[] Batch(string deviceId, long fromSeq, int count, string kind = "metrics", string type = TelemetryRecordTypes.Metrics, string payload = """{"value":1}""")
    {
        var records = Enumerable.Range(0, count)
            .Select(i => new TelemetryRecordEntry(fromSeq + i, kind, 1_700_000_000_000 + i, type, "m", "1", JsonDocument.Parse(payload).RootElement))
            .ToList();
        var batch = new TelemetryBatch { DeviceId = deviceId, FromSeq = fromSeq, ToSeq = fromSeq + count - 1, Records = records };
        return JsonSerializer.SerializeToUtf8Bytes(batch, SyncJsonContext.Default.TelemetryBatch);
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    public async Task<MqttClientPublishResult> PublishAsync(string topic, byte[] payload, bool gzip = false, string? responseTopic = null, byte[]? correlation = null, bool retain = false)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (gzip)
        {
            builder.WithUserProperty(SyncHeaders.ContentEncoding, Encoding.UTF8.GetBytes(SyncHeaders.Gzip).AsMemory());
        }

        if (responseTopic is not null)
        {
            builder.WithResponseTopic(responseTopic);
        }

        if (correlation is not null)
        {
            builder.WithCorrelationData(correlation);
        }

        return await Client.PublishAsync(builder.Build());
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string filter)
    {
        var result = await Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return result.Items.Single().ResultCode;
    }

    /// <summary>Waits (generous deadline) for a received message on <paramref name="topic"/> matching <paramref name="match"/>.</summary>
    public async Task<MqttApplicationMessage> WaitForAsync(string topic, Func<MqttApplicationMessage, bool>? match = null)
    {
        MqttApplicationMessage? found = null;
        await Eventually.HoldsAsync(() => (found = Received.FirstOrDefault(m => m.Topic == topic && (match?.Invoke(m) ?? true))) is not null, $"a message on {topic}");
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            await Client.DisconnectAsync();
        }

        Client.Dispose();
    }
}
