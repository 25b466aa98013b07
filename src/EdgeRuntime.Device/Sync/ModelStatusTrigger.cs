using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Tells the hub promptly when what the device serves changes: every load, failed load, retirement and rollout change
/// asks the <see cref="DeviceStatusReporter"/> for a fresh status. The reporter is resolved on first use, because it depends
/// (through the deployment agent) on the repository that calls this observer.
/// </summary>
internal sealed class ModelStatusTrigger(IServiceProvider services) : IModelLifecycleObserver, IRolloutObserver
{
    private DeviceStatusReporter? _reporter;

    public void OnLoaded(ModelSession session) => Request();

    public void OnLoadFailed(string model, string version, string reason) => Request();

    public void OnRetired(ModelSession session) => Request();

    public void OnRolloutChanged(RolloutState state) => Request();

    private void Request()
    {
        try
        {
            (_reporter ??= services.GetRequiredService<DeviceStatusReporter>()).RequestPublish();
        }
        catch (ObjectDisposedException)
        {
            // The host is stopping; the will or the last status says the rest.
        }
    }
}
