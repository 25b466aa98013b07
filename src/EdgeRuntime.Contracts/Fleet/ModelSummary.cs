namespace EdgeRuntime.Contracts.Fleet;

/// <summary>A model name and the versions registered for it, lowest first.</summary>
public sealed record ModelSummary
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Versions { get; init; }
}
