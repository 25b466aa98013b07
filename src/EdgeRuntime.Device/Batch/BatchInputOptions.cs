namespace EdgeRuntime.Device.Batch;

/// <summary>Where a batch job's rows come from and how to read them (see <c>BatchJobInput</c> on the wire).</summary>
public sealed record BatchInputOptions
{
    /// <summary>A .csv, .jsonl or .npy file, a SQLite database, or a folder of images; absolute once a job is resolved.</summary>
    public required string Path { get; init; }

    /// <summary><c>csv</c>, <c>jsonl</c>, <c>npy</c>, <c>sqlite</c> or <c>images</c>; null detects it from the path.</summary>
    public string? Format { get; init; }

    /// <summary>The model input that CSV, .npy, table and image data fill; null for the model's only input.</summary>
    public string? Tensor { get; init; }

    /// <summary>The table of a SQLite input.</summary>
    public string? Table { get; init; }

    /// <summary>The CSV or table column that names each row in the results.</summary>
    public string? KeyColumn { get; init; }

    /// <summary>The feature columns, in order; null for every numeric column but the key.</summary>
    public IReadOnlyList<string>? Columns { get; init; }
}
