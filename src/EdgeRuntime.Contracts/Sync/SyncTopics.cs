using System.Diagnostics.CodeAnalysis;

namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The MQTT topic names of the hub link, all under <c>edge/v1/{deviceId}/</c>. A device may use only its own
/// subtree; the hub reads every device's with the wildcard filters.
/// </summary>
public static class SyncTopics
{
    /// <summary>The root every topic of this contract version lives under.</summary>
    public const string Root = "edge/v1";

    /// <summary>Longest device id the contract accepts.</summary>
    public const int MaxDeviceIdLength = 64;

    private const string StatusSuffix = "status";
    private const string TelemetrySuffix = "telemetry";
    private const string EventsSuffix = "events";
    private const string DesiredSuffix = "desired";
    private const string ArtifactRequestSuffix = "artifacts/request";
    private const string ArtifactResponseSuffix = "artifacts/response";
    private const string CommandsSuffix = "commands";
    private const string CommandResponseSuffix = "commands/response";

    public static string Status(string deviceId) => Topic(deviceId, SyncChannel.Status);

    public static string Telemetry(string deviceId) => Topic(deviceId, SyncChannel.Telemetry);

    public static string Events(string deviceId) => Topic(deviceId, SyncChannel.Events);

    public static string Desired(string deviceId) => Topic(deviceId, SyncChannel.Desired);

    public static string ArtifactRequest(string deviceId) => Topic(deviceId, SyncChannel.ArtifactRequest);

    public static string ArtifactResponse(string deviceId) => Topic(deviceId, SyncChannel.ArtifactResponse);

    public static string Commands(string deviceId) => Topic(deviceId, SyncChannel.Commands);

    public static string CommandResponse(string deviceId) => Topic(deviceId, SyncChannel.CommandResponse);

    /// <summary>The filter for everything a device may touch: <c>edge/v1/{deviceId}/#</c>.</summary>
    public static string Subtree(string deviceId) => $"{Root}/{RequireValid(deviceId)}/#";

    /// <summary>The hub's filter for one channel of every device, e.g. <c>edge/v1/+/telemetry</c>.</summary>
    public static string AllDevices(SyncChannel channel) => $"{Root}/+/{Suffix(channel)}";

    /// <summary>An MQTT 5 shared subscription, so hub replicas split the messages: <c>$share/{group}/{filter}</c>.</summary>
    public static string Shared(string group, string filter) => $"$share/{group}/{filter}";

    /// <summary>The topic of <paramref name="channel"/> for <paramref name="deviceId"/>.</summary>
    public static string Topic(string deviceId, SyncChannel channel) => $"{Root}/{RequireValid(deviceId)}/{Suffix(channel)}";

    /// <summary>Splits a topic of this contract into its device id and channel; false for anything else.</summary>
    public static bool TryParse(string topic, [NotNullWhen(true)] out string? deviceId, out SyncChannel channel)
    {
        deviceId = null;
        channel = default;
        if (!topic.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = topic.AsSpan(Root.Length + 1);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var id = rest[..slash].ToString();
        if (!IsValidDeviceId(id) || !TryChannel(rest[(slash + 1)..], out channel))
        {
            return false;
        }

        deviceId = id;
        return true;
    }

    /// <summary>
    /// True for 1–64 characters of letters, digits, <c>-</c>, <c>_</c> and <c>.</c> (not only dots): safe as a
    /// topic level, an MQTT user name, a client id and a file name.
    /// </summary>
    public static bool IsValidDeviceId([NotNullWhen(true)] string? deviceId)
    {
        if (string.IsNullOrEmpty(deviceId) || deviceId.Length > MaxDeviceIdLength || deviceId.All(c => c == '.'))
        {
            return false;
        }

        foreach (var c in deviceId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private static string RequireValid(string deviceId) =>
        IsValidDeviceId(deviceId) ? deviceId : throw new ArgumentException($"'{deviceId}' is not a valid device id", nameof(deviceId));

    private static string Suffix(SyncChannel channel) => channel switch
    {
        SyncChannel.Status => StatusSuffix,
        SyncChannel.Telemetry => TelemetrySuffix,
        SyncChannel.Events => EventsSuffix,
        SyncChannel.Desired => DesiredSuffix,
        SyncChannel.ArtifactRequest => ArtifactRequestSuffix,
        SyncChannel.ArtifactResponse => ArtifactResponseSuffix,
        SyncChannel.Commands => CommandsSuffix,
        SyncChannel.CommandResponse => CommandResponseSuffix,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, null),
    };

    private static bool TryChannel(ReadOnlySpan<char> suffix, out SyncChannel channel)
    {
        foreach (var candidate in Enum.GetValues<SyncChannel>())
        {
            if (suffix.SequenceEqual(Suffix(candidate)))
            {
                channel = candidate;
                return true;
            }
        }

        channel = default;
        return false;
    }
}
