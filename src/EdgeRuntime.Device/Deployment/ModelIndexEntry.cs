namespace EdgeRuntime.Device.Deployment;

/// <summary>A row of the repository index: a model (and version, when it has any on disk), its state and why.</summary>
public sealed record ModelIndexEntry(string Name, string? Version, ModelState State, string Reason);
