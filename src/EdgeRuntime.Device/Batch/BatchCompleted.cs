namespace EdgeRuntime.Device.Batch;

/// <summary>
/// One result of a row for the <c>results</c> table, its text already UTF-8 (encoded by the worker, so the single
/// committing thread only copies bytes into SQLite).
/// </summary>
internal readonly record struct BatchResultRecord(long Index, byte[] Key, byte[] Output, byte[] DataType, byte[] Shape, byte[] Data, byte[]? Value);

/// <summary>One row's error for the <c>errors</c> table.</summary>
internal readonly record struct BatchErrorRecord(long Index, string Key, string Error);

/// <summary>
/// A batch a worker finished, ready to commit: its rows' results and errors, encoded for the output, and the index the
/// checkpoint moves to once it is committed.
/// </summary>
internal sealed class BatchCompleted(long sequence, long nextIndex)
{
    public long Sequence { get; } = sequence;

    public long NextIndex { get; } = nextIndex;

    public int Succeeded { get; set; }

    public int Failed { get; set; }

    /// <summary>SQLite output: one record per row and kept output.</summary>
    public List<BatchResultRecord> Results { get; } = [];

    public List<BatchErrorRecord> Errors { get; } = [];

    /// <summary>CSV/JSONL output: the rows' lines, in index order.</summary>
    public MemoryStream Text { get; } = new();
}
