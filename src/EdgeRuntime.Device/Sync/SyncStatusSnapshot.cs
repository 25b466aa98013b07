using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Sync;

/// <summary>Builds the body of <c>GET /v2/edge/sync</c> from the parts that run (none when sync is off).</summary>
internal static class SyncStatusSnapshot
{
    public static SyncStatusResponse Build(SyncOptions options, IHubLink? link, TelemetryUplink? uplink, DeploymentAgent? agent)
    {
        if (!options.Enabled || link is null)
        {
            return new SyncStatusResponse { Enabled = false, DeviceId = options.DeviceId, Broker = $"{options.Host}:{options.Port}" };
        }

        var status = link.Status;
        var download = agent?.Download;
        return new SyncStatusResponse
        {
            Enabled = true,
            DeviceId = link.DeviceId,
            Broker = link.Endpoint,
            Connected = status.Connected,
            LastConnectedMs = status.LastConnectedMs,
            LastError = status.LastError,
            Uplink = uplink is null ? null : new SyncUplinkStatus(uplink.PublishedRecords, uplink.LastAckedSequence, uplink.Backlog),
            Desired = agent?.DesiredStatus,
            Download = download is null ? null : new SyncDownloadStatus(download.ArtifactId, download.Model, download.Version, download.Offset, download.Size),
        };
    }
}
