namespace EdgeRuntime.Device.Batch;

/// <summary>One batch job: what to score, with which model, and where the results go.</summary>
public sealed record BatchJobSpec
{
    /// <summary>The job's id; null derives one from the output path, so running the same command again resumes it.</summary>
    public string? Id { get; init; }

    public required string Model { get; init; }

    /// <summary>Null: the version the device serves (the rollout's stable version, else the newest) when the job first starts.</summary>
    public string? Version { get; init; }

    public required BatchInputOptions Input { get; init; }

    public required string Output { get; init; }

    /// <summary><c>sqlite</c>, <c>csv</c> or <c>jsonl</c>; null picks by the output's extension (.csv, .jsonl), SQLite otherwise.</summary>
    public string? OutputFormat { get; init; }

    /// <summary>Rows per run; null for the model's best batch size.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Runs at once; null for the configured default (see <see cref="BatchOptions"/>).</summary>
    public int? Parallelism { get; init; }

    /// <summary>Model outputs to keep; null for all.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>Start over when the output holds another job's checkpoint, instead of refusing.</summary>
    public bool Restart { get; init; }

    /// <summary><c>cli</c>, <c>api</c>, <c>hub</c> or <c>schedule:&lt;name&gt;</c>.</summary>
    public string Trigger { get; init; } = "cli";
}
