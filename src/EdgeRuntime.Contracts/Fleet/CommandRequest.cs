namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>POST /api/devices/{id}/commands</c>: a command name (see <c>DeviceCommandNames</c>) and its arguments.</summary>
public sealed record CommandRequest
{
    public string? Name { get; init; }

    public IReadOnlyDictionary<string, string>? Arguments { get; init; }
}
