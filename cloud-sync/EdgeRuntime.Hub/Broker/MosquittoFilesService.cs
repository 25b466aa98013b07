using EdgeRuntime.Hub.Registry;

namespace EdgeRuntime.Hub.Broker;

/// <summary>Keeps the configured mosquitto files current: written at start and after every credentials change.</summary>
internal sealed class MosquittoFilesService(MosquittoFiles files, DeviceRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        files.Refresh();
        registry.CredentialsChanged += files.Refresh;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registry.CredentialsChanged -= files.Refresh;
        return Task.CompletedTask;
    }
}
