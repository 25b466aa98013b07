using EdgeRuntime.Device.Sync;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.FleetSimulator;

/// <summary>One simulated device: the real MQTT link and uplink of the sync agent over an outbox of its own.</summary>
internal sealed class VirtualDevice : IAsyncDisposable
{
    private readonly MqttHubLink _link;
    private readonly TelemetryUplink _uplink;

    public VirtualDevice(SyncOptions options, ITelemetryOutbox outbox, ILoggerFactory loggers)
    {
        Id = options.DeviceId!;
        Outbox = outbox;
        _link = new MqttHubLink(options, loggers.CreateLogger($"sim.link.{Id}"));
        _uplink = new TelemetryUplink(_link, outbox, options, loggers.CreateLogger($"sim.uplink.{Id}"));
    }

    public string Id { get; }

    public ITelemetryOutbox Outbox { get; }

    public bool Connected => _link.Status.Connected;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _link.StartAsync(cancellationToken).ConfigureAwait(false);
        await _uplink.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task WaitConnectedAsync(CancellationToken cancellationToken) => _link.WaitConnectedAsync(cancellationToken);

    /// <summary>Tells the uplink that records are waiting, as the device's recorder would.</summary>
    public void Wake() => _uplink.Wake();

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _uplink.StopAsync(stop.Token).ConfigureAwait(false);
        await _link.StopAsync(stop.Token).ConfigureAwait(false);
        _uplink.Dispose();
        _link.Dispose();
    }

    /// <summary>A metrics snapshot of the size a real device writes once per interval.</summary>
    public const string MetricsPayload =
        """{"interval_ms":1000,"models":[{"model":"demo","version":"1","execution_provider":"CPU","success":120,"failure":0,"request_p50_ms":0.41,"request_p95_ms":0.93,"request_p99_ms":1.32,"queue_p99_ms":0.02,"batch_mean":1.0,"cache_hits":0,"cache_misses":0}],"process":{"cpu_percent":3.5,"rss_bytes":61234688}}""";
}
