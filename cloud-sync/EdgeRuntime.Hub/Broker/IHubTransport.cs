namespace EdgeRuntime.Hub.Broker;

/// <summary>
/// How the hub reaches devices, whichever broker carries the link: the embedded MQTTnet server injects messages, the
/// external client publishes them. Every message is QoS 1.
/// </summary>
internal interface IHubTransport
{
    /// <summary>True once messages can be published.</summary>
    bool IsReady { get; }

    Task PublishAsync(
        string topic,
        ReadOnlyMemory<byte> payload,
        bool retain,
        IReadOnlyList<KeyValuePair<string, string>>? userProperties = null,
        byte[]? correlationData = null,
        string? contentType = null,
        CancellationToken cancellationToken = default);

    /// <summary>Drops the device's connection, if the transport can (the embedded broker can; an external one relies on its password file).</summary>
    Task DisconnectDeviceAsync(string deviceId, CancellationToken cancellationToken = default);
}
