namespace EdgeRuntime.Device.Sync;

/// <summary>The hub link (section <c>EdgeRuntime:Sync</c>): which broker, who the device is, and how the uplink and downloads behave.</summary>
public sealed class SyncOptions
{
    public const string SectionName = "EdgeRuntime:Sync";

    /// <summary>Connect to the hub at all; off, the device serves on its own.</summary>
    public bool Enabled { get; set; }

    /// <summary>The device's id: its topic subtree, MQTT client id and default user name.</summary>
    public string? DeviceId { get; set; }

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>MQTT user name; defaults to <see cref="DeviceId"/>.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    public bool UseTls { get; set; }

    /// <summary>PEM or DER file of the CA that signed the broker's certificate; the system store when unset.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>PFX file of the device's client certificate, for certificate authentication.</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientCertificatePassword { get; set; }

    /// <summary>Accept a broker certificate that does not validate; for lab setups only.</summary>
    public bool AllowUntrustedCertificates { get; set; }

    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>How long the broker keeps the session (subscriptions, queued QoS 1 messages) after a drop.</summary>
    public long SessionExpirySeconds { get; set; } = 86_400;

    public int ReconnectMinDelayMs { get; set; } = 500;

    public int ReconnectMaxDelayMs { get; set; } = 30_000;

    /// <summary>Store records read per uplink batch.</summary>
    public int UplinkBatchSize { get; set; } = 1000;

    /// <summary>Batches published and not yet acknowledged at most.</summary>
    public int UplinkMaxInFlight { get; set; } = 8;

    /// <summary>Batches larger than this are gzip-compressed.</summary>
    public int CompressAboveBytes { get; set; } = 8192;

    /// <summary>How often the retained status is refreshed while connected.</summary>
    public int StatusIntervalSeconds { get; set; } = 60;

    /// <summary>Bytes asked for per artifact chunk request; at most <c>SyncProtocol.MaxChunkBytes</c>.</summary>
    public int ChunkBytes { get; set; } = 262_144;

    public int ChunkTimeoutSeconds { get; set; } = 30;

    /// <summary>Attempts per chunk beyond the first before the download fails.</summary>
    public int ChunkRetries { get; set; } = 3;

    /// <summary>Download bandwidth cap for metered links; 0 = unlimited.</summary>
    public long MaxDownloadBytesPerSecond { get; set; }

    /// <summary>The MQTT user name in effect.</summary>
    public string? EffectiveUsername => string.IsNullOrEmpty(Username) ? DeviceId : Username;
}
