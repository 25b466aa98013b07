using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A command sent to a device and, once the device answered, its result.</summary>
public sealed record CommandResponse
{
    public required string Id { get; init; }

    public required string DeviceId { get; init; }

    public required string Name { get; init; }

    public IReadOnlyDictionary<string, string>? Arguments { get; init; }

    public long IssuedAtMs { get; init; }

    public DeviceCommandResult? Result { get; init; }
}
