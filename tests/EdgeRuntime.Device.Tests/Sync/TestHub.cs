using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>
/// A real MQTT 5 broker (in-process MQTTnet server on an ephemeral loopback port) with a small hub inside it: it
/// records telemetry batches (de-duplicated by sequence), statuses and command results, and answers artifact chunk
/// requests from bytes it holds, optionally corrupting one chunk.
/// </summary>
internal sealed class TestHub : IAsyncDisposable
{
    private const string HubClientId = "test-hub";
    private MqttServer? _server;
    private int _refused;

    public TestHub()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
    }

    public int Port { get; }

    /// <summary>Every record received, by sequence (the first copy wins, as the hub's store keeps it).</summary>
    public ConcurrentDictionary<long, JsonElement> Records { get; } = new();

    /// <summary>Kind of each record received, by sequence.</summary>
    public ConcurrentDictionary<long, string> Kinds { get; } = new();

    /// <summary>The <c>type</c> of every record received on <c>events</c>.</summary>
    public ConcurrentQueue<string> EventTypes { get; } = new();

    public ConcurrentQueue<(SyncChannel Channel, bool Gzip, long FromSeq, long ToSeq)> Batches { get; } = new();

    public ConcurrentQueue<DeviceStatus> Statuses { get; } = new();

    public ConcurrentQueue<ArtifactChunkRequest> ChunkRequests { get; } = new();

    public ConcurrentQueue<DeviceCommandResult> CommandResults { get; } = new();

    /// <summary>The highest record sequence the hub held when each command's result arrived, by command id.</summary>
    public ConcurrentDictionary<string, long> HighestSequenceAtResult { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, byte[]> Artifacts { get; } = new(StringComparer.Ordinal);

    /// <summary>While true, telemetry and events publications are refused (not acknowledged as accepted).</summary>
    public bool RefuseTelemetry { get; set; }

    /// <summary>Publications refused so far.</summary>
    public int RefusedCount => _refused;

    /// <summary>The chunk at this offset is served with one byte flipped (its hash header stays the true one); -1 for none.</summary>
    public long CorruptOffset { get; set; } = -1;

    public bool IsRunning => _server?.IsStarted == true;

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Holds <paramref name="bytes"/> as an artifact and returns its descriptor.</summary>
    public ArtifactDescriptor AddArtifact(byte[] bytes)
    {
        var id = Sha256(bytes);
        Artifacts[id] = bytes;
        return new ArtifactDescriptor { Id = id, Sha256 = id, Size = bytes.Length };
    }

    public async Task StartAsync()
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointPort(Port)
            .WithPersistentSessions()
            .Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        server.InterceptingPublishAsync += OnPublishAsync;
        await server.StartAsync();
        _server = server;
    }

    public async Task StopAsync()
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync();
            server.Dispose();
        }
    }

    /// <summary>Drops a client's connection from the broker's side, without a clean DISCONNECT from the client.</summary>
    public Task KickAsync(string clientId) =>
        _server!.DisconnectClientAsync(clientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.AdministrativeAction });

    public Task PublishDesiredAsync(string deviceId, DesiredState desired) =>
        InjectAsync(SyncTopics.Desired(deviceId), JsonSerializer.SerializeToUtf8Bytes(desired, SyncJsonContext.Default.DesiredState), retain: true);

    public Task SendCommandAsync(string deviceId, DeviceCommand command) =>
        InjectAsync(SyncTopics.Commands(deviceId), JsonSerializer.SerializeToUtf8Bytes(command, SyncJsonContext.Default.DeviceCommand), retain: false);

    public async ValueTask DisposeAsync() => await StopAsync();

    private Task InjectAsync(string topic, byte[] payload, bool retain, Action<MqttApplicationMessageBuilder>? configure = null)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain);
        configure?.Invoke(builder);
        return _server!.InjectApplicationMessage(new InjectedMqttApplicationMessage(builder.Build()) { SenderClientId = HubClientId });
    }

    private async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId == HubClientId || !SyncTopics.TryParse(e.ApplicationMessage.Topic, out var deviceId, out var channel))
        {
            return;
        }

        var payload = e.ApplicationMessage.Payload.ToArray();
        switch (channel)
        {
            case SyncChannel.Telemetry or SyncChannel.Events:
                if (RefuseTelemetry)
                {
                    e.ProcessPublish = false;
                    e.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
                    Interlocked.Increment(ref _refused);
                    return;
                }

                RecordBatch(channel, payload, e.ApplicationMessage.UserProperties);
                break;
            case SyncChannel.Status:
                Statuses.Enqueue(JsonSerializer.Deserialize(payload, SyncJsonContext.Default.DeviceStatus)!);
                break;
            case SyncChannel.CommandResponse:
                var result = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.DeviceCommandResult)!;
                HighestSequenceAtResult[result.Id] = Records.Keys.DefaultIfEmpty().Max();
                CommandResults.Enqueue(result);
                break;
            case SyncChannel.ArtifactRequest:
                var request = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.ArtifactChunkRequest)!;
                ChunkRequests.Enqueue(request);
                await AnswerChunkAsync(deviceId, request, e.ApplicationMessage.ResponseTopic, e.ApplicationMessage.CorrelationData);
                break;
        }

        if (channel != SyncChannel.Status)
        {
            // Handled, then acknowledged, as the real hub does inside its embedded broker; the retained status is
            // left to the broker so late subscribers see it.
            e.ProcessPublish = false;
            e.Response.ReasonCode = MqttPubAckReasonCode.Success;
        }
    }

    private void RecordBatch(SyncChannel channel, byte[] payload, IReadOnlyCollection<MqttUserProperty>? properties)
    {
        var gzip = properties?.Any(p => p.Name == SyncHeaders.ContentEncoding && p.ReadValueAsString() == SyncHeaders.Gzip) == true;
        if (gzip)
        {
            using var input = new GZipStream(new MemoryStream(payload), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            payload = output.ToArray();
        }

        var batch = JsonSerializer.Deserialize(payload, SyncJsonContext.Default.TelemetryBatch)!;
        Batches.Enqueue((channel, gzip, batch.FromSeq, batch.ToSeq));
        foreach (var record in batch.Records)
        {
            if (Records.TryAdd(record.Sequence, record.Payload.Clone()) && channel == SyncChannel.Events)
            {
                EventTypes.Enqueue(record.Type);
            }

            Kinds.TryAdd(record.Sequence, record.Kind);
        }
    }

    private Task AnswerChunkAsync(string deviceId, ArtifactChunkRequest request, string? responseTopic, byte[]? correlation)
    {
        var topic = responseTopic ?? SyncTopics.ArtifactResponse(deviceId);
        if (!Artifacts.TryGetValue(request.ArtifactId, out var artifact) || request.Offset < 0 || request.Offset >= artifact.Length)
        {
            return InjectAsync(topic, [], retain: false, b => b.WithCorrelationData(correlation).WithUserProperty(SyncHeaders.Error, Utf8("unknown artifact or bad range")));
        }

        var chunk = artifact.AsSpan((int)request.Offset, (int)Math.Min(request.Length, artifact.Length - request.Offset)).ToArray();
        var hash = Sha256(chunk);
        if (request.Offset == CorruptOffset)
        {
            chunk[0] ^= 0xFF;
        }

        return InjectAsync(topic, chunk, retain: false, b => b
            .WithCorrelationData(correlation)
            .WithContentType(SyncHeaders.ChunkContentType)
            .WithUserProperty(SyncHeaders.ArtifactId, Utf8(request.ArtifactId))
            .WithUserProperty(SyncHeaders.ArtifactOffset, Utf8(request.Offset.ToString(CultureInfo.InvariantCulture)))
            .WithUserProperty(SyncHeaders.ArtifactSize, Utf8(artifact.Length.ToString(CultureInfo.InvariantCulture)))
            .WithUserProperty(SyncHeaders.ChunkSha256, Utf8(hash)));
    }

    private static ReadOnlyMemory<byte> Utf8(string value) => Encoding.UTF8.GetBytes(value);
}
