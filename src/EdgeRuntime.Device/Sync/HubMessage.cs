using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// A message on one of the device's own channels, either way: its payload, whether it is retained, its MQTT 5
/// user properties and content type, and for request/response the correlation data and the channel to answer on.
/// </summary>
public sealed record HubMessage(SyncChannel Channel, ReadOnlyMemory<byte> Payload)
{
    public bool Retain { get; init; }

    public string? ContentType { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Properties { get; init; } = [];

    public ReadOnlyMemory<byte> CorrelationData { get; init; }

    /// <summary>The channel the peer should answer on (MQTT 5 response topic); null for none.</summary>
    public SyncChannel? ResponseChannel { get; init; }

    /// <summary>The value of user property <paramref name="name"/>, or null.</summary>
    public string? Property(string name)
    {
        foreach (var (key, value) in Properties)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }
}
