using System.Buffers;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Ingest;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeRuntime.Hub.Broker;

/// <summary>
/// The hub as a client of an external broker (mosquitto, EMQX, HiveMQ): a persistent session (clean start false, long
/// expiry) so QoS 1 messages queue while the hub is away, shared subscriptions so replicas split the load, and manual
/// acknowledgement — in arrival order — only after the handler made each message durable. Reconnects with backoff.
/// </summary>
internal sealed partial class ExternalBrokerClient(
    IOptions<HubOptions> options,
    IServiceProvider services,
    ILogger<ExternalBrokerClient> logger) : BackgroundService, IHubTransport
{
    private readonly BrokerOptions _options = options.Value.Broker;
    private readonly ILogger _logger = logger;
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private volatile bool _ready;

    public bool IsReady => _ready && _client.IsConnected;

    public string ClientId => _options.ClientId ?? $"edge-hub-{Environment.MachineName}-{Environment.ProcessId}";

    public async Task PublishAsync(
        string topic,
        ReadOnlyMemory<byte> payload,
        bool retain,
        IReadOnlyList<KeyValuePair<string, string>>? userProperties = null,
        byte[]? correlationData = null,
        string? contentType = null,
        CancellationToken cancellationToken = default)
    {
        var result = await _client.PublishAsync(BrokerMessages.Build(topic, payload, retain, userProperties, correlationData, contentType), cancellationToken);
        if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            throw new InvalidOperationException($"the broker refused a publish on {topic}: {result.ReasonCode} {result.ReasonString}");
        }
    }

    public Task DisconnectDeviceAsync(string deviceId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public override void Dispose()
    {
        _client.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var handler = services.GetRequiredService<HubMessageHandler>();
        var desired = services.GetRequiredService<DesiredStateService>();
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var session = new Session(this, handler);
            var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _client.ApplicationMessageReceivedAsync += session.ReceiveAsync;
            _client.DisconnectedAsync += OnDisconnected;
            try
            {
                await ConnectAsync(stoppingToken);
                _ready = true;
                delay = TimeSpan.FromSeconds(1);
                LogConnected(_logger, _options.Host, _options.Port, ClientId);
                await desired.RepublishAllAsync(stoppingToken);
                await Task.WhenAny(disconnected.Task, session.AcknowledgeInOrderAsync(stoppingToken), Task.Delay(Timeout.Infinite, stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogConnectFailed(_logger, _options.Host, _options.Port, delay.TotalSeconds, ex);
            }
            finally
            {
                _ready = false;
                _client.ApplicationMessageReceivedAsync -= session.ReceiveAsync;
                _client.DisconnectedAsync -= OnDisconnected;
                session.Complete();
            }

            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
            }

            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));

            Task OnDisconnected(MqttClientDisconnectedEventArgs e)
            {
                disconnected.TrySetResult();
                return Task.CompletedTask;
            }
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithClientId(ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)_options.SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30));
        if (_options.Username is not null)
        {
            builder.WithCredentials(_options.Username, _options.Password);
        }

        if (_options.UseTls)
        {
            builder.WithTlsOptions(tls => tls.UseTls());
        }

        await _client.ConnectAsync(builder.Build(), cancellationToken);
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var channel in HubChannels.Inbound)
        {
            var filter = SyncTopics.AllDevices(channel);
            subscribe.WithTopicFilter(string.IsNullOrEmpty(_options.SharedGroup) ? filter : SyncTopics.Shared(_options.SharedGroup, filter), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var result = await _client.SubscribeAsync(subscribe.Build(), cancellationToken);
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                throw new InvalidOperationException($"the broker refused the subscription to {item.TopicFilter.Topic}: {item.ResultCode}");
            }
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Connected to MQTT broker {Host}:{Port} as {ClientId}")]
    private static partial void LogConnected(ILogger logger, string host, int port, string clientId);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "MQTT broker {Host}:{Port} connection failed or lost; retrying in {DelaySeconds} s")]
    private static partial void LogConnectFailed(ILogger logger, string host, int port, double delaySeconds, Exception exception);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Dropped a message on {Topic}: {Result} (acknowledged, a retry would not help)")]
    private static partial void LogDropped(ILogger logger, string topic, HandleResult result);

    /// <summary>
    /// One connection's messages: each is handled as it arrives (so group commit sees many at once) and acknowledged in
    /// arrival order after its handling finished; a failure leaves it unacknowledged and drops the connection, so the
    /// broker delivers it again on reconnect.
    /// </summary>
    private sealed class Session(ExternalBrokerClient owner, HubMessageHandler handler)
    {
        private readonly Channel<(MqttApplicationMessageReceivedEventArgs Args, Task<HandleResult> Handled)> _inFlight =
            Channel.CreateUnbounded<(MqttApplicationMessageReceivedEventArgs, Task<HandleResult>)>(new UnboundedChannelOptions { SingleReader = true });

        public Task ReceiveAsync(MqttApplicationMessageReceivedEventArgs e)
        {
            e.AutoAcknowledge = false;
            var message = e.ApplicationMessage;

            // The client may reuse the payload's buffer once this returns; the handler runs later.
            message.Payload = new ReadOnlySequence<byte>(message.Payload.ToArray());
            Task<HandleResult> handled = SyncTopics.TryParse(message.Topic, out var deviceId, out var channel) && HubChannels.Inbound.Contains(channel)
                ? handler.HandleAsync(deviceId, channel, message)
                : Task.FromResult(HandleResult.NotAuthorized);
            _inFlight.Writer.TryWrite((e, handled));
            return Task.CompletedTask;
        }

        public void Complete() => _inFlight.Writer.TryComplete();

        public async Task AcknowledgeInOrderAsync(CancellationToken cancellationToken)
        {
            await foreach (var (args, handled) in _inFlight.Reader.ReadAllAsync(cancellationToken))
            {
                var result = await handled;
                if (result == HandleResult.Failed)
                {
                    return;
                }

                if (result != HandleResult.Accepted)
                {
                    LogDropped(owner._logger, args.ApplicationMessage.Topic, result);
                }

                await args.AcknowledgeAsync(cancellationToken);
            }
        }
    }
}
