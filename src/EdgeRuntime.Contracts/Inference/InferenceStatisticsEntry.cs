namespace EdgeRuntime.Contracts.Inference;

/// <summary>Counts and cumulative durations of each stage of a request, as Triton's statistics extension reports them.</summary>
public sealed record InferenceStatisticsEntry(
    DurationStatistic Success,
    DurationStatistic Fail,
    DurationStatistic Queue,
    DurationStatistic ComputeInput,
    DurationStatistic ComputeInfer,
    DurationStatistic ComputeOutput,
    DurationStatistic CacheHit,
    DurationStatistic CacheMiss);
