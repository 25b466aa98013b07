namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>POST /api/assignments</c>: serve <see cref="Model"/> <see cref="Version"/> on one device or on every device with a tag.</summary>
public sealed record AssignmentRequest
{
    public string? Model { get; init; }

    public string? Version { get; init; }

    /// <summary>Exactly one of <see cref="DeviceId"/> and <see cref="Tag"/>.</summary>
    public string? DeviceId { get; init; }

    public string? Tag { get; init; }

    /// <summary>Rollout strategy; <c>immediate</c> (the default) is the only one so far.</summary>
    public string? Strategy { get; init; }
}
