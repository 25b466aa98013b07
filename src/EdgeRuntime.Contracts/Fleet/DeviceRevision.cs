namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A device's new desired revision after a change.</summary>
public sealed record DeviceRevision(string DeviceId, long Revision);
