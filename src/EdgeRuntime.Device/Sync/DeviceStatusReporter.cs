using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Publishes the retained online <see cref="DeviceStatus"/>: on every connect, after a desired state was applied, on a
/// <c>publish_status</c> command, and every <see cref="SyncOptions.StatusIntervalSeconds"/> while connected.
/// </summary>
public sealed partial class DeviceStatusReporter : BackgroundService
{
    private readonly IHubLink _link;
    private readonly Func<DeviceStatus> _snapshot;
    private readonly SyncOptions _options;
    private readonly ILogger _logger;

    /// <summary>A reporter publishing what <paramref name="snapshot"/> builds (its <c>State</c> set to online) over <paramref name="link"/>.</summary>
    public DeviceStatusReporter(IHubLink link, Func<DeviceStatus> snapshot, SyncOptions options, ILogger logger)
    {
        _link = link;
        _snapshot = snapshot;
        _options = options;
        _logger = logger;
        link.OnConnected(PublishAsync);
    }

    /// <summary>Publishes the status now; false when the link did not take it.</summary>
    public async Task<bool> PublishAsync(CancellationToken cancellationToken = default)
    {
        var status = _snapshot() with { State = SyncProtocol.Online };
        var result = await _link.PublishAsync(
            new HubMessage(SyncChannel.Status, JsonSerializer.SerializeToUtf8Bytes(status, SyncJsonContext.Default.DeviceStatus))
            {
                Retain = true,
                ContentType = SyncHeaders.JsonContentType,
            },
            cancellationToken).ConfigureAwait(false);
        if (!result.Accepted)
        {
            LogNotPublished(result.Reason ?? "refused");
        }

        return result.Accepted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.StatusIntervalSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_link.Status.Connected)
                {
                    await PublishAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 1640, Level = LogLevel.Warning, Message = "Device status not published: {Reason}")]
    private partial void LogNotPublished(string reason);
}
