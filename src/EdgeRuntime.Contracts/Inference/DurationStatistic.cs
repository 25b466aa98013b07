namespace EdgeRuntime.Contracts.Inference;

/// <summary>How many times something happened and how long it took in all, in nanoseconds.</summary>
public sealed record DurationStatistic(long Count, long Ns);
