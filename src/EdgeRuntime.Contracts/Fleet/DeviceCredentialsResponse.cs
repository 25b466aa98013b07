namespace EdgeRuntime.Contracts.Fleet;

/// <summary>
/// A device's MQTT credentials, returned once by registration and by rotation: the hub keeps only hashes of
/// <see cref="Password"/>. The device connects with user name and client id <see cref="Username"/>.
/// </summary>
public sealed record DeviceCredentialsResponse
{
    public required string Id { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required string Username { get; init; }

    public required string Password { get; init; }

    /// <summary>The device's topic subtree, e.g. <c>edge/v1/dev-1</c>.</summary>
    public required string TopicsRoot { get; init; }
}
