namespace EdgeRuntime.Device.Batch;

/// <summary>An opened batch input: its rows, in a stable order, each checked against the model's inputs.</summary>
public interface IBatchInput : IDisposable
{
    /// <summary><c>csv</c>, <c>jsonl</c>, <c>npy</c>, <c>sqlite</c> or <c>images</c>.</summary>
    string Format { get; }

    /// <summary>
    /// Identifies the input's content as it was opened (e.g. path, size and modification time; for a folder, its
    /// file names and sizes), so a resumed job can refuse an input that changed under it.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>The number of rows when it is known without reading them all; null otherwise.</summary>
    long? Count { get; }

    /// <summary>
    /// The rows with <see cref="BatchRow.Index"/> at or after <paramref name="fromIndex"/>, in order. A row that cannot be
    /// read or does not fit the model comes back with its <see cref="BatchRow.Error"/>; only problems with the input as a
    /// whole (unreadable file, missing table) throw <see cref="BatchInputException"/>. The caller disposes each row.
    /// </summary>
    IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken);
}
