using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Publishes the retained online <see cref="DeviceStatus"/>: on every connect, after a desired state was applied, on a
/// <c>publish_status</c> command, shortly after a model version loads, fails or retires (<see cref="RequestPublish"/>),
/// and every <see cref="SyncOptions.StatusIntervalSeconds"/> while connected.
/// </summary>
public sealed partial class DeviceStatusReporter : BackgroundService
{
    private static readonly TimeSpan ChangeSettle = TimeSpan.FromMilliseconds(200);

    private readonly IHubLink _link;
    private readonly Func<DeviceStatus> _snapshot;
    private readonly SyncOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changed = new(0, 1);

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

    /// <summary>Asks for a status soon: what the device serves changed. Requests close together make one publication.</summary>
    public void RequestPublish()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A publication is already due.
        }
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(_options.StatusIntervalSeconds);
        try
        {
            while (true)
            {
                if (await _changed.WaitAsync(interval, stoppingToken).ConfigureAwait(false))
                {
                    // A repository scan loads several versions in a row: wait for the burst to pass.
                    await Task.Delay(ChangeSettle, stoppingToken).ConfigureAwait(false);
                }

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
