using EdgeRuntime.Hub.Registry;

namespace EdgeRuntime.Hub.Broker;

/// <summary>
/// Keeps the configured mosquitto files current: written at start, and again shortly after credentials change. Changes
/// that come in a burst (a fleet registering thousands of devices) are coalesced into one rewrite and one reload,
/// instead of rewriting the whole password file and signalling mosquitto once per device.
/// </summary>
internal sealed class MosquittoFilesService(MosquittoFiles files, DeviceRegistry registry) : BackgroundService
{
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _changed = new(0, 1);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        files.Refresh();
        registry.CredentialsChanged += OnCredentialsChanged;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        registry.CredentialsChanged -= OnCredentialsChanged;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _changed.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(stoppingToken).ConfigureAwait(false);
                await Task.Delay(Coalesce, stoppingToken).ConfigureAwait(false);
                files.Refresh();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // A change still pending at shutdown is written at the next start.
        }
    }

    private void OnCredentialsChanged()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rewrite is already pending; it will include this change.
        }
    }
}
