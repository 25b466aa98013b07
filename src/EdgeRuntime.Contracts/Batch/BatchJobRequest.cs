namespace EdgeRuntime.Contracts.Batch;

/// <summary>
/// <c>POST /v2/edge/batch/jobs</c> (and the hub's <c>run_batch</c> command): score <see cref="Input"/> with a model and
/// write the results to <see cref="Output"/>. Relative paths are under <c>&lt;data&gt;/batch</c>; every path must lie
/// under one of the device's allowed batch roots.
/// </summary>
public sealed record BatchJobRequest
{
    /// <summary>A caller-chosen id; absent, one is made. Submitting an id again resumes that job.</summary>
    public string? Id { get; init; }

    public string? Model { get; init; }

    /// <summary>Absent: the version the device serves when the job starts.</summary>
    public string? Version { get; init; }

    public BatchJobInput? Input { get; init; }

    /// <summary>The results: a SQLite database (default), or CSV/JSONL by extension or <see cref="OutputFormat"/>.</summary>
    public string? Output { get; init; }

    /// <summary><c>sqlite</c>, <c>csv</c> or <c>jsonl</c>; absent, from the output's extension (SQLite otherwise).</summary>
    public string? OutputFormat { get; init; }

    /// <summary>Rows per run; absent, the model's best batch size.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Runs at once; absent, the device's share of its cores.</summary>
    public int? Parallelism { get; init; }

    /// <summary>Model outputs to keep; absent, all.</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>Discard an existing checkpoint at <see cref="Output"/> that belongs to a different job instead of refusing.</summary>
    public bool Restart { get; init; }
}

/// <summary>Where a batch job's rows come from.</summary>
public sealed record BatchJobInput
{
    /// <summary>A .csv, .jsonl or .npy file, a SQLite database (with <see cref="Table"/>), or a folder of images.</summary>
    public string? Path { get; init; }

    /// <summary><c>csv</c>, <c>jsonl</c>, <c>npy</c>, <c>sqlite</c> or <c>images</c>; absent, from the path.</summary>
    public string? Format { get; init; }

    /// <summary>The model input that CSV, .npy, table and image data fill; absent, the model's only input.</summary>
    public string? Tensor { get; init; }

    /// <summary>The table of a SQLite input.</summary>
    public string? Table { get; init; }

    /// <summary>The CSV or table column that identifies a row in the results; absent, the line number or rowid.</summary>
    public string? Key { get; init; }

    /// <summary>The CSV or table columns that are features, in order; absent, every numeric column but the key.</summary>
    public IReadOnlyList<string>? Columns { get; init; }
}
