using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeRuntime.Hub.Ingest;

/// <summary>
/// Everything the hub does with a device's message, whichever broker delivered it: records into the store (through
/// the group-committing <see cref="RecordWriter"/>), status, command results, and artifact chunks answered on the
/// request's response topic. Returns only once the message's effect is durable.
/// </summary>
internal sealed partial class HubMessageHandler(
    HubStore store,
    RecordWriter writer,
    ArtifactStore artifacts,
    DesiredStateService desired,
    IHubTransport transport,
    TimeProvider time,
    ILogger<HubMessageHandler> logger)
{
    /// <summary>Raised with the device's id once its status is stored (on the broker's thread: handlers must only signal).</summary>
    public event Action<string>? StatusStored;

    public async Task<HandleResult> HandleAsync(string deviceId, SyncChannel channel, MqttApplicationMessage message, CancellationToken cancellationToken = default)
    {
        try
        {
            return channel switch
            {
                SyncChannel.Telemetry or SyncChannel.Events => await IngestAsync(deviceId, message, cancellationToken),
                SyncChannel.Status => Status(deviceId, message),
                SyncChannel.CommandResponse => CommandResult(deviceId, message),
                SyncChannel.ArtifactRequest => await ServeChunkAsync(deviceId, message, cancellationToken),
                _ => HandleResult.NotAuthorized,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or FormatException)
        {
            LogInvalid(logger, deviceId, message.Topic, ex.Message);
            return HandleResult.Invalid;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, deviceId, message.Topic, ex);
            return HandleResult.Failed;
        }
    }

    private static bool IsGzip(MqttApplicationMessage message) =>
        message.UserProperties?.Any(p => p.Name == SyncHeaders.ContentEncoding && p.ReadValueAsString() == SyncHeaders.Gzip) == true;

    private async Task<HandleResult> IngestAsync(string deviceId, MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var json = TelemetryBatchParser.Contiguous(message.Payload);
        if (IsGzip(message))
        {
            json = TelemetryBatchParser.Gunzip(json);
        }

        var batch = TelemetryBatchParser.Parse(json);
        if (batch.DeviceId != deviceId)
        {
            LogForeignBatch(logger, deviceId, batch.DeviceId);
            return HandleResult.NotAuthorized;
        }

        await writer.WriteAsync(batch, cancellationToken);
        return HandleResult.Accepted;
    }

    private HandleResult Status(string deviceId, MqttApplicationMessage message)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (message.Payload.IsEmpty)
        {
            // A cleared retained status: nothing to record beyond the sighting.
            store.TouchDevice(deviceId, now);
            return HandleResult.Accepted;
        }

        var status = JsonSerializer.Deserialize(TelemetryBatchParser.Contiguous(message.Payload).Span, SyncJsonContext.Default.DeviceStatus)
            ?? throw new InvalidDataException("empty status");
        if (status.DeviceId != deviceId)
        {
            return HandleResult.NotAuthorized;
        }

        store.UpsertStatus(new DeviceStatusRow
        {
            DeviceId = deviceId,
            State = status.State,
            StatusMs = status.TimestampMs,
            LastSeenMs = now,
            RuntimeVersion = status.RuntimeVersion,
            Profile = status.Profile,
            AppliedRevision = status.AppliedRevision,
            Models = JsonSerializer.Serialize(status.Models, FleetJsonContext.Default.IReadOnlyListDeviceModelStatus),
            Store = status.Store is null ? null : JsonSerializer.Serialize(status.Store, FleetJsonContext.Default.DeviceStoreStatus),

            // The will (offline) carries no rollouts; keep the last reported ones, which fleet deployments count.
            Rollouts = status.State == SyncProtocol.Offline ? null : JsonSerializer.Serialize(status.Rollouts, FleetJsonContext.Default.IReadOnlyListDeviceRolloutStatus),
        });
        StatusStored?.Invoke(deviceId);
        return HandleResult.Accepted;
    }

    private HandleResult CommandResult(string deviceId, MqttApplicationMessage message)
    {
        var payload = TelemetryBatchParser.Contiguous(message.Payload);
        var result = JsonSerializer.Deserialize(payload.Span, SyncJsonContext.Default.DeviceCommandResult)
            ?? throw new InvalidDataException("empty command result");
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        store.TouchDevice(deviceId, now);
        if (!store.SetCommandResult(deviceId, result.Id, JsonSerializer.Serialize(result, SyncJsonContext.Default.DeviceCommandResult), now))
        {
            LogUnknownCommand(logger, deviceId, result.Id);
        }

        return HandleResult.Accepted;
    }

    private async Task<HandleResult> ServeChunkAsync(string deviceId, MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (message.ResponseTopic != SyncTopics.ArtifactResponse(deviceId))
        {
            return HandleResult.NotAuthorized;
        }

        store.TouchDevice(deviceId, time.GetUtcNow().ToUnixTimeMilliseconds());
        var request = JsonSerializer.Deserialize(TelemetryBatchParser.Contiguous(message.Payload).Span, SyncJsonContext.Default.ArtifactChunkRequest)
            ?? throw new InvalidDataException("empty chunk request");
        var properties = new List<KeyValuePair<string, string>>
        {
            new(SyncHeaders.ArtifactId, request.ArtifactId),
            new(SyncHeaders.ArtifactOffset, request.Offset.ToString(CultureInfo.InvariantCulture)),
        };

        string? error = null;
        ChunkReadResult? chunk = null;
        var artifact = store.GetArtifact(request.ArtifactId);
        if (artifact is null || !IsAssigned(deviceId, request.ArtifactId))
        {
            error = "unknown artifact";
        }
        else if (request.Length > SyncProtocol.MaxChunkBytes)
        {
            error = $"length {request.Length} is over the largest chunk, {SyncProtocol.MaxChunkBytes} bytes";
        }
        else
        {
            properties.Add(new(SyncHeaders.ArtifactSize, artifact.Size.ToString(CultureInfo.InvariantCulture)));
            chunk = await artifacts.ReadChunkAsync(artifact, request.Offset, request.Length, cancellationToken);
            error = chunk.Error;
        }

        if (error is not null)
        {
            LogChunkRefused(logger, deviceId, request.ArtifactId, request.Offset, error);
            properties.Add(new(SyncHeaders.Error, error));
        }
        else
        {
            properties.Add(new(SyncHeaders.ChunkSha256, chunk!.Sha256!));
        }

        await transport.PublishAsync(
            message.ResponseTopic,
            chunk?.Bytes ?? ReadOnlyMemory<byte>.Empty,
            retain: false,
            properties,
            message.CorrelationData,
            SyncHeaders.ChunkContentType,
            cancellationToken);
        return HandleResult.Accepted;
    }

    /// <summary>A device may fetch only artifacts of its current desired state.</summary>
    private bool IsAssigned(string deviceId, string artifactId) =>
        desired.Current(deviceId)?.Models.Any(m => m.Artifact.Id == artifactId) == true;

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Refused a message from {DeviceId} on {Topic}: {Reason}")]
    private static partial void LogInvalid(ILogger logger, string deviceId, string topic, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Handling a message from {DeviceId} on {Topic} failed; the device keeps it and retries")]
    private static partial void LogFailed(ILogger logger, string deviceId, string topic, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Refused a batch on {DeviceId}'s topic that names device {BatchDeviceId}")]
    private static partial void LogForeignBatch(ILogger logger, string deviceId, string batchDeviceId);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "{DeviceId} answered command {CommandId}, which the hub does not know")]
    private static partial void LogUnknownCommand(ILogger logger, string deviceId, string commandId);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Chunk of artifact {ArtifactId} at {Offset} refused to {DeviceId}: {Error}")]
    private static partial void LogChunkRefused(ILogger logger, string deviceId, string artifactId, long offset, string error);
}
