using System.Net;
using System.Net.Sockets;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Ingest;
using EdgeRuntime.Hub.Registry;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeRuntime.Hub.Broker;

/// <summary>
/// The MQTTnet broker inside the hub. It checks device credentials and the per-device ACL, and handles each device
/// message inside <c>InterceptingPublishAsync</c>, so the device's PUBACK is sent only once the message is durable in
/// the hub's store (an error reason code when it is not, so the device keeps it). Hub → device messages are injected.
/// </summary>
internal sealed partial class EmbeddedBroker(
    IOptions<HubOptions> options,
    DeviceRegistry registry,
    IServiceProvider services,
    ILogger<EmbeddedBroker> logger) : IHostedService, IHubTransport, IAsyncDisposable
{
    private readonly BrokerOptions _options = options.Value.Broker;
    private MqttServer? _server;
    private HubMessageHandler? _handler;

    /// <summary>The port the broker listens on, once started (the chosen one when configured as 0).</summary>
    public int Port { get; private set; }

    public bool IsReady => _server?.IsStarted == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _handler = services.GetRequiredService<HubMessageHandler>();
        var address = IPAddress.Parse(_options.Address);
        Port = _options.Port == 0 ? FreePort(address) : _options.Port;
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(address)
            .WithDefaultEndpointPort(Port)
            .WithPersistentSessions()
            .WithMaxPendingMessagesPerClient(100_000)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
        await _server.StartAsync();
        LogListening(logger, address.ToString(), Port);
        await services.GetRequiredService<DesiredStateService>().RepublishAllAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true } server)
        {
            await server.StopAsync(new MqttServerStopOptions());
        }
    }

    public async Task PublishAsync(
        string topic,
        ReadOnlyMemory<byte> payload,
        bool retain,
        IReadOnlyList<KeyValuePair<string, string>>? userProperties = null,
        byte[]? correlationData = null,
        string? contentType = null,
        CancellationToken cancellationToken = default)
    {
        var server = _server ?? throw new InvalidOperationException("the embedded broker has not started");
        var message = BrokerMessages.Build(topic, payload, retain, userProperties, correlationData, contentType);
        await server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = HubChannels.HubClientId }, cancellationToken);
    }

    public async Task DisconnectDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        if (_server is not { IsStarted: true } server)
        {
            return;
        }

        var clients = await server.GetClientsAsync();
        if (clients.FirstOrDefault(c => c.Id == deviceId) is { } client)
        {
            await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized });
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (!registry.Authenticate(e.UserName, e.Password))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            LogRefused(logger, e.ClientId, e.UserName, "bad user name or password");
        }
        else if (e.ClientId != e.UserName)
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            LogRefused(logger, e.ClientId, e.UserName, "client id must be the device id");
        }

        return Task.CompletedTask;
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        if (!DeviceAcl.CanSubscribe(e.ClientId, e.TopicFilter.Topic))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            LogSubscriptionRefused(logger, e.ClientId, e.TopicFilter.Topic);
        }

        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId is null or HubChannels.HubClientId)
        {
            return;
        }

        e.ProcessPublish = false;
        if (!DeviceAcl.CanPublish(e.ClientId, e.ApplicationMessage.Topic, out var channel))
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            LogPublishRefused(logger, e.ClientId, e.ApplicationMessage.Topic);
            return;
        }

        var result = await _handler!.HandleAsync(e.ClientId, channel, e.ApplicationMessage, e.CancellationToken);
        e.Response.ReasonCode = result switch
        {
            HandleResult.Accepted => MqttPubAckReasonCode.Success,
            HandleResult.NotAuthorized => MqttPubAckReasonCode.NotAuthorized,
            HandleResult.Invalid => MqttPubAckReasonCode.PayloadFormatInvalid,
            _ => MqttPubAckReasonCode.ImplementationSpecificError,
        };
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "MQTT broker listening on {Address}:{Port}")]
    private static partial void LogListening(ILogger logger, string address, int port);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Refused MQTT connection of client {ClientId} (user {UserName}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string clientId, string? userName, string reason);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Refused subscription of {ClientId} to {Filter}")]
    private static partial void LogSubscriptionRefused(ILogger logger, string clientId, string filter);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Refused publish of {ClientId} on {Topic}")]
    private static partial void LogPublishRefused(ILogger logger, string clientId, string topic);
}
