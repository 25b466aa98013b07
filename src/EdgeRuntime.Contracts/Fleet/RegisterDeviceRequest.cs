namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>POST /api/devices</c>: the device id (see <c>SyncTopics.IsValidDeviceId</c>) and its tags.</summary>
public sealed record RegisterDeviceRequest
{
    public string? Id { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }
}
