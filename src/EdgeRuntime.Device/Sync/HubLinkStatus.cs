namespace EdgeRuntime.Device.Sync;

/// <summary>The link's connection state: connected now, when it last connected (Unix ms, 0 never) and the last error.</summary>
public sealed record HubLinkStatus(bool Connected, long LastConnectedMs, string? LastError);
