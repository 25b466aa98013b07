namespace EdgeRuntime.Hub.Storage;

/// <summary>Filters of a records query; null means any.</summary>
internal sealed record RecordQuery
{
    public string? DeviceId { get; init; }

    public string? Model { get; init; }

    public string? Type { get; init; }

    /// <summary>Only these kinds (e.g. <c>event</c>, <c>drift</c>); null or empty for all.</summary>
    public IReadOnlyList<string>? Kinds { get; init; }

    public long? FromMs { get; init; }

    public long? ToMs { get; init; }

    public long? AfterSeq { get; init; }

    public int Limit { get; init; } = 1000;
}
