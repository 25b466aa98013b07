namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>PUT /api/devices/{id}/tags</c>: the device's new set of tags.</summary>
public sealed record DeviceTagsRequest
{
    public IReadOnlyList<string>? Tags { get; init; }
}
