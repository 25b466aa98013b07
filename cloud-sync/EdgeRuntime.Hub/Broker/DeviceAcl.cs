using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Broker;

/// <summary>What a device may do on the broker: publish on its own device → hub channels, subscribe to its own hub → device ones.</summary>
internal static class DeviceAcl
{
    private static readonly SyncChannel[] Readable = [SyncChannel.Desired, SyncChannel.ArtifactResponse, SyncChannel.Commands];

    /// <summary>True when <paramref name="deviceId"/> may publish on <paramref name="topic"/>; returns the channel.</summary>
    public static bool CanPublish(string deviceId, string topic, out SyncChannel channel) =>
        SyncTopics.TryParse(topic, out var owner, out channel) && owner == deviceId && HubChannels.Inbound.Contains(channel);

    /// <summary>True when <paramref name="deviceId"/> may subscribe to <paramref name="filter"/>: exactly one of its own hub → device topics, no wildcards.</summary>
    public static bool CanSubscribe(string deviceId, string filter) =>
        SyncTopics.TryParse(filter, out var owner, out var channel) && owner == deviceId && Readable.Contains(channel);
}
