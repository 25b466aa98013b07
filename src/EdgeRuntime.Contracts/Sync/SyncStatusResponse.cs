namespace EdgeRuntime.Contracts.Sync;

/// <summary><c>GET /v2/edge/sync</c>: the hub link's state, how far the uplink got, and what the downlink is applying.</summary>
public sealed record SyncStatusResponse
{
    public required bool Enabled { get; init; }

    public string? DeviceId { get; init; }

    /// <summary>The broker as <c>host:port</c>.</summary>
    public string? Broker { get; init; }

    public bool Connected { get; init; }

    /// <summary>When the link last connected, Unix milliseconds; 0 before the first connect.</summary>
    public long LastConnectedMs { get; init; }

    public string? LastError { get; init; }

    public SyncUplinkStatus? Uplink { get; init; }

    public SyncDesiredStatus? Desired { get; init; }

    /// <summary>The artifact download running now; null when none is.</summary>
    public SyncDownloadStatus? Download { get; init; }
}
