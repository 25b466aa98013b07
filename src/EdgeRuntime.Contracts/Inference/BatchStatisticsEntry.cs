namespace EdgeRuntime.Contracts.Inference;

/// <summary>Runs of one batch size and their compute time.</summary>
public sealed record BatchStatisticsEntry(
    int BatchSize,
    DurationStatistic ComputeInput,
    DurationStatistic ComputeInfer,
    DurationStatistic ComputeOutput);
