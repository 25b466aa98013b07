namespace EdgeRuntime.Contracts.Fleet;

/// <summary>The id of a command the hub queued for a device.</summary>
public sealed record CommandAcceptedResponse(string Id);
