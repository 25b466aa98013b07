namespace EdgeRuntime.Device.Sync;

/// <summary>
/// The device's link to its hub, independent of the transport (MQTT 5 now; an Azure IoT Hub transport could sit behind
/// the same seam). It keeps itself connected, receives on the device's downlink channels and publishes on its uplink
/// channels, each publication acknowledged by the peer before the returned task completes.
/// </summary>
public interface IHubLink
{
    /// <summary>The device this link speaks for.</summary>
    string DeviceId { get; }

    /// <summary>The broker, as <c>host:port</c>.</summary>
    string Endpoint { get; }

    HubLinkStatus Status { get; }

    /// <summary>
    /// Publishes <paramref name="message"/> at least once and waits for the peer's acknowledgement; false (with why)
    /// when the peer refused it or the link is down. Never throws for a broken link.
    /// </summary>
    Task<HubPublishResult> PublishAsync(HubMessage message, CancellationToken cancellationToken = default);

    /// <summary>Completes once the link is connected (at once when it is).</summary>
    Task WaitConnectedAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Calls <paramref name="handler"/> for every message received on a downlink channel (desired, artifact responses,
    /// commands); the message is acknowledged once the handler returns. Register before the link starts.
    /// </summary>
    void OnMessage(Func<HubMessage, CancellationToken, Task> handler);

    /// <summary>Calls <paramref name="handler"/> after every (re)connect, once subscriptions are in place; e.g. to publish the status.</summary>
    void OnConnected(Func<CancellationToken, Task> handler);
}
