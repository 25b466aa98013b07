namespace EdgeRuntime.Contracts.Sync;

/// <summary>Constants of the hub link that both ends must agree on.</summary>
public static class SyncProtocol
{
    /// <summary>Version of the message schemas; a receiver refuses a higher one it does not know.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Largest chunk a device may ask for, and the hub serve.</summary>
    public const int MaxChunkBytes = 1024 * 1024;

    /// <summary><see cref="DeviceStatus.State"/> while connected.</summary>
    public const string Online = "online";

    /// <summary><see cref="DeviceStatus.State"/> set by the will message when the link drops.</summary>
    public const string Offline = "offline";
}
