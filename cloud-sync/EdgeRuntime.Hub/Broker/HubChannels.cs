using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Broker;

/// <summary>The channels of the hub link the hub reads.</summary>
internal static class HubChannels
{
    /// <summary>Device → hub: status, telemetry, events, artifact requests, command results.</summary>
    public static readonly SyncChannel[] Inbound =
        [SyncChannel.Status, SyncChannel.Telemetry, SyncChannel.Events, SyncChannel.ArtifactRequest, SyncChannel.CommandResponse];

    /// <summary>The client id the hub's own messages carry inside the embedded broker; no device can have it ('$' is not allowed).</summary>
    public const string HubClientId = "$edge-hub";
}
