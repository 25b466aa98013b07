using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Deployment;

/// <summary>
/// Told when the repository loads, fails to load or retires a model version (telemetry records these as
/// events and attaches its metric series). Called under the model's load lock: keep it quick, never throw.
/// </summary>
public interface IModelLifecycleObserver
{
    /// <summary>A version loaded and is about to serve; requests cannot reach it before this returns.</summary>
    void OnLoaded(ModelSession session);

    /// <summary>A version failed to load (or reload); <paramref name="version"/> is <c>-</c> when the model's config was at fault.</summary>
    void OnLoadFailed(string model, string version, string reason);

    /// <summary>A version stopped serving: unloaded, removed, replaced by a reload, or the host is stopping.</summary>
    void OnRetired(ModelSession session);
}
