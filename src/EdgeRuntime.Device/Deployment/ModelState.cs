namespace EdgeRuntime.Device.Deployment;

/// <summary>Where a model version stands, as the repository index reports it.</summary>
public enum ModelState
{
    /// <summary>Being loaded; not serving yet.</summary>
    Loading,

    /// <summary>Serving.</summary>
    Ready,

    /// <summary>Not serving: unloaded, not selected by the version policy, or failed to load (see the reason).</summary>
    Unavailable,
}
