using System.Buffers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// The hub link over MQTT 5 (MQTTnet): a persistent session (clean start off, session expiry) under the device id, so
/// subscriptions and queued QoS 1 messages survive short drops; a retained <c>offline</c> status as the will; and a
/// loop that reconnects forever with jittered exponential backoff, re-subscribing to the downlink channels and calling
/// the <see cref="OnConnected"/> handlers on every connect.
/// </summary>
public sealed partial class MqttHubLink : BackgroundService, IHubLink
{
    private static readonly SyncChannel[] DownlinkChannels = [SyncChannel.Desired, SyncChannel.ArtifactResponse, SyncChannel.Commands];

    private readonly SyncOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IMqttClient _client;
    private readonly List<Func<HubMessage, CancellationToken, Task>> _messageHandlers = [];
    private readonly List<Func<CancellationToken, Task>> _connectedHandlers = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile HubLinkStatus _status = new(false, 0, null);
    private CancellationToken _stopping;

    public MqttHubLink(SyncOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!SyncTopics.IsValidDeviceId(options.DeviceId))
        {
            throw new ArgumentException($"'{options.DeviceId}' is not a valid device id", nameof(options));
        }

        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        DeviceId = options.DeviceId;
        Endpoint = $"{options.Host}:{options.Port}";
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnReceivedAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public string DeviceId { get; }

    public string Endpoint { get; }

    public HubLinkStatus Status => _status;

    public void OnMessage(Func<HubMessage, CancellationToken, Task> handler)
    {
        lock (_lock)
        {
            _messageHandlers.Add(handler);
        }
    }

    public void OnConnected(Func<CancellationToken, Task> handler)
    {
        lock (_lock)
        {
            _connectedHandlers.Add(handler);
        }
    }

    public Task WaitConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return _connected.Task.WaitAsync(cancellationToken);
        }
    }

    public async Task<HubPublishResult> PublishAsync(HubMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_client.IsConnected)
        {
            return HubPublishResult.Refused("not connected");
        }

        try
        {
            var result = await _client.PublishAsync(ToMqtt(message), cancellationToken).ConfigureAwait(false);
            // "No matching subscribers" means nobody took the message: with an external broker, the hub is not
            // subscribed (yet) and the records would be lost, so only a retained message, which the broker keeps, counts.
            return result.ReasonCode == MqttClientPublishReasonCode.Success || (result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers && message.Retain)
                ? HubPublishResult.Ok
                : HubPublishResult.Refused($"{result.ReasonCode}{(string.IsNullOrEmpty(result.ReasonString) ? "" : ": " + result.ReasonString)}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            return HubPublishResult.Refused(ex.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_client.IsConnected)
        {
            // A clean disconnect suppresses the will, so say offline ourselves first.
            try
            {
                await _client.PublishAsync(ToMqtt(OfflineStatus()), cancellationToken).ConfigureAwait(false);
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
            {
                LogDisconnectFailed(ex.Message);
            }
        }

        SetDisconnected(null);
    }

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TaskCompletionSource disconnected;
            try
            {
                lock (_lock)
                {
                    disconnected = _disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                var result = await _client.ConnectAsync(BuildOptions(), stoppingToken).ConfigureAwait(false);
                if (result.ResultCode != MqttClientConnectResultCode.Success)
                {
                    throw new MqttCommunicationException($"broker refused the connection: {result.ResultCode} {result.ReasonString}");
                }

                await SubscribeAsync(stoppingToken).ConfigureAwait(false);
                _status = new HubLinkStatus(true, _time.GetUtcNow().ToUnixTimeMilliseconds(), _status.LastError);
                LogConnected(DeviceId, Endpoint, result.IsSessionPresent);
                failures = 0;
                lock (_lock)
                {
                    _connected.TrySetResult();
                }

                foreach (var handler in ConnectedHandlers())
                {
                    await handler(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException or IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
            {
                failures++;
                var delay = Backoff(failures);
                _status = _status with { LastError = ex.Message };
                LogConnectFailed(Endpoint, delay.TotalMilliseconds, ex.Message);
                await DisconnectQuietlyAsync().ConfigureAwait(false);
                SetDisconnected(ex.Message);
                await Delay(delay, stoppingToken).ConfigureAwait(false);
                continue;
            }

            // Connected: wait for the drop, then back off a little before reconnecting.
            try
            {
                await disconnected.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            failures++;
            await Delay(Backoff(failures), stoppingToken).ConfigureAwait(false);
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>min·2^(n-1), capped at max, then jittered down by up to half so a fleet does not reconnect in step.</summary>
    private TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 30);
        var ms = Math.Min((double)_options.ReconnectMaxDelayMs, _options.ReconnectMinDelayMs * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    private async Task DisconnectQuietlyAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or InvalidOperationException)
        {
            LogDisconnectFailed(ex.Message);
        }
    }

    private async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var channel in DownlinkChannels)
        {
            builder.WithTopicFilter(SyncTopics.Topic(DeviceId, channel), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                throw new MqttCommunicationException($"broker refused the subscription to {item.TopicFilter.Topic}: {item.ResultCode}");
            }
        }
    }

    private MqttClientOptions BuildOptions()
    {
        var will = OfflineStatus();
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(DeviceId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)_options.SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(_options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(Math.Max(10, _options.ChunkTimeoutSeconds)))
            .WithWillTopic(SyncTopics.Status(DeviceId))
            .WithWillPayload(will.Payload.ToArray())
            .WithWillRetain()
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillContentType(SyncHeaders.JsonContentType);
        if (_options.EffectiveUsername is { } user)
        {
            builder.WithCredentials(user, _options.Password is null ? null : Encoding.UTF8.GetBytes(_options.Password));
        }

        if (_options.UseTls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                tls.WithTargetHost(_options.Host);
                if (_options.AllowUntrustedCertificates)
                {
                    tls.WithAllowUntrustedCertificates();
                    tls.WithCertificateValidationHandler(_ => true);
                }
                else if (_options.CaCertificatePath is { } caPath)
                {
                    tls.WithTrustChain([X509CertificateLoader.LoadCertificateFromFile(caPath)]);
                }

                if (_options.ClientCertificatePath is { } pfx)
                {
                    tls.WithClientCertificates([X509CertificateLoader.LoadPkcs12FromFile(pfx, _options.ClientCertificatePassword)]);
                }
            });
        }

        return builder.Build();
    }

    private HubMessage OfflineStatus()
    {
        var status = new DeviceStatus { DeviceId = DeviceId, State = SyncProtocol.Offline, TimestampMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
        return new HubMessage(SyncChannel.Status, JsonSerializer.SerializeToUtf8Bytes(status, SyncJsonContext.Default.DeviceStatus))
        {
            Retain = true,
            ContentType = SyncHeaders.JsonContentType,
        };
    }

    private MqttApplicationMessage ToMqtt(HubMessage message)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(SyncTopics.Topic(DeviceId, message.Channel))
            .WithPayload(message.Payload.ToArray())
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(message.Retain);
        if (message.ContentType is { } contentType)
        {
            builder.WithContentType(contentType);
        }

        foreach (var (name, value) in message.Properties)
        {
            builder.WithUserProperty(name, Encoding.UTF8.GetBytes(value).AsMemory());
        }

        if (!message.CorrelationData.IsEmpty)
        {
            builder.WithCorrelationData(message.CorrelationData.ToArray());
        }

        if (message.ResponseChannel is { } response)
        {
            builder.WithResponseTopic(SyncTopics.Topic(DeviceId, response));
        }

        return builder.Build();
    }

    private async Task OnReceivedAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var m = e.ApplicationMessage;
        if (!SyncTopics.TryParse(m.Topic, out var deviceId, out var channel) || deviceId != DeviceId)
        {
            LogIgnored(m.Topic);
            return;
        }

        var properties = m.UserProperties is { Count: > 0 } user
            ? user.Select(p => KeyValuePair.Create(p.Name, p.ReadValueAsString())).ToList()
            : [];
        var message = new HubMessage(channel, m.Payload.ToArray())
        {
            Retain = m.Retain,
            ContentType = m.ContentType,
            Properties = properties,
            CorrelationData = m.CorrelationData ?? ReadOnlyMemory<byte>.Empty,
        };
        foreach (var handler in MessageHandlers())
        {
            try
            {
                await handler(message, _stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogHandlerFailed(m.Topic, ex.Message);
            }
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.ClientWasConnected)
        {
            var reason = e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString();
            _status = _status with { LastError = reason };
            if (!_stopping.IsCancellationRequested)
            {
                // Our own disconnect at shutdown is not worth a warning.
                LogDisconnected(Endpoint, reason);
            }

            SetDisconnected(reason);
        }

        return Task.CompletedTask;
    }

    private void SetDisconnected(string? reason)
    {
        _status = _status with { Connected = false, LastError = reason ?? _status.LastError };
        lock (_lock)
        {
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _disconnected.TrySetResult();
        }
    }

    private Func<HubMessage, CancellationToken, Task>[] MessageHandlers()
    {
        lock (_lock)
        {
            return [.. _messageHandlers];
        }
    }

    private Func<CancellationToken, Task>[] ConnectedHandlers()
    {
        lock (_lock)
        {
            return [.. _connectedHandlers];
        }
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Information, Message = "Hub link of device {DeviceId} connected to {Endpoint} (session present: {SessionPresent})")]
    private partial void LogConnected(string deviceId, string endpoint, bool sessionPresent);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "Hub link could not connect to {Endpoint}; retrying in {DelayMs:F0} ms: {Reason}")]
    private partial void LogConnectFailed(string endpoint, double delayMs, string reason);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Hub link to {Endpoint} dropped: {Reason}")]
    private partial void LogDisconnected(string endpoint, string reason);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Warning, Message = "Hub link: handling a message on {Topic} failed: {Reason}")]
    private partial void LogHandlerFailed(string topic, string reason);

    [LoggerMessage(EventId = 1604, Level = LogLevel.Debug, Message = "Hub link ignored a message on {Topic}, which is not one of the device's channels")]
    private partial void LogIgnored(string topic);

    [LoggerMessage(EventId = 1605, Level = LogLevel.Debug, Message = "Hub link disconnect failed: {Reason}")]
    private partial void LogDisconnectFailed(string reason);
}
