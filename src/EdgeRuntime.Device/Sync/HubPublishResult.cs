namespace EdgeRuntime.Device.Sync;

/// <summary>Whether the peer accepted a publication, and why not when it did not.</summary>
public readonly record struct HubPublishResult(bool Accepted, string? Reason)
{
    public static HubPublishResult Ok { get; } = new(true, null);

    public static HubPublishResult Refused(string reason) => new(false, reason);
}
