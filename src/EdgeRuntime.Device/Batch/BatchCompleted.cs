namespace EdgeRuntime.Device.Batch;

/// <summary>
/// One result of a row for the <c>results</c> table. Key and value are UTF-8 in the batch's <see cref="BatchCompleted.Text"/>
/// (a value of length -1 is NULL); <paramref name="Data"/> is a view of the run's output, alive until the batch is committed.
/// </summary>
internal readonly record struct BatchResultRecord(
    long Index, int KeyStart, int KeyLength, byte[] Output, byte[] DataType, byte[] Shape, ReadOnlyMemory<byte> Data, int ValueStart, int ValueLength);

/// <summary>One row's error for the <c>errors</c> table.</summary>
internal readonly record struct BatchErrorRecord(long Index, string Key, string Error);

/// <summary>
/// A batch the pipeline's writer encoded, ready to commit: its rows' results and errors, encoded for the output, and
/// the index the checkpoint moves to once it is committed.
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

    /// <summary>CSV/JSONL output: the rows' lines, in index order. SQLite output: the results' keys and values, end to end.</summary>
    public MemoryStream Text { get; } = new();
}
