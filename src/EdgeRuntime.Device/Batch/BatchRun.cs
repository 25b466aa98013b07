using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// A batch job opened for one run: its own model session, its input, its job database and (CSV/JSONL) its output
/// file positioned at the committed end. Disposing it closes them all.
/// </summary>
internal sealed class BatchRun : IDisposable
{
    public required string Id { get; init; }

    public required BatchModel Model { get; init; }

    public required ModelSession Session { get; init; }

    public required IBatchInput Input { get; init; }

    public required BatchJobDatabase Database { get; init; }

    public required BatchOutput Output { get; init; }

    /// <summary>The absolute output path.</summary>
    public required string OutputPath { get; init; }

    /// <summary>The input's path as the job recorded it; read once, since the writer thread updates the database's values while the job runs.</summary>
    public required string? InputPath { get; init; }

    /// <summary>CSV/JSONL: the output file, opened for appending at the committed length; null for SQLite output.</summary>
    public FileStream? Text { get; init; }

    /// <summary>
    /// Whether every input and output has a dynamic first dimension: a row's first dimension is its rows, and rows may be
    /// stacked when <see cref="BatchSize"/> is above 1.
    /// </summary>
    public required bool Batchable { get; init; }

    /// <summary>Rows per run: above 1 only when the job asked for it or the model's configuration declares batching.</summary>
    public required int BatchSize { get; init; }

    public required int Parallelism { get; init; }

    /// <summary>Whether the job database says the job already completed (the run does nothing then).</summary>
    public bool AlreadyCompleted { get; init; }

    /// <summary>The checkpoint this run started from.</summary>
    public long StartIndex => Database.Number(BatchJobKeys.NextIndex);

    /// <summary>The rows earlier runs had finished when this one started.</summary>
    public required long RowsResumed { get; init; }

    public void Dispose()
    {
        Text?.Dispose();
        Database.Dispose();
        Input.Dispose();
        Session.Dispose();
    }
}
