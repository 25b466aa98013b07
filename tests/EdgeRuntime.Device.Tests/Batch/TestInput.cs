using System.Runtime.InteropServices;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>
/// A batch input over rows held in memory (a test data source, standing in for the file readers): each row is a
/// tensor of floats or an error. It counts the rows it hands out, can fail like a file that breaks off after some
/// rows, and can call back before a row, to cancel a job or hold it while the test looks at it.
/// </summary>
internal sealed class TestInput : IBatchInput
{
    private readonly IReadOnlyList<TestRow> _rows;
    private int _rowsRead;

    public TestInput(IReadOnlyList<TestRow> rows, string fingerprint = "test-input-v1")
    {
        _rows = rows;
        Fingerprint = fingerprint;
    }

    public string Format => "test";

    public string Fingerprint { get; set; }

    public long? Count => KnowsCount ? _rows.Count : null;

    public bool KnowsCount { get; set; } = true;

    /// <summary>Throws <see cref="BatchInputException"/> instead of handing out the row at this index.</summary>
    public long? FailAt { get; set; }

    /// <summary>Called before the row at each index is handed out.</summary>
    public Action<long, CancellationToken>? BeforeRow { get; set; }

    /// <summary>Rows handed out since the last <see cref="ResetCount"/>.</summary>
    public int RowsRead => Volatile.Read(ref _rowsRead);

    /// <summary>The index each <see cref="Read"/> started from.</summary>
    public List<long> ReadFrom { get; } = [];

    /// <summary>The model input the rows fill.</summary>
    public string TensorName { get; set; } = "input";

    /// <summary>Rows of <paramref name="count"/> readings the demo model accepts (multiples of 0.125 in [-16, 16)).</summary>
    public static List<TestRow> DemoRows(int count, int seed = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i => TestRow.Of($"row-{i}", [.. Enumerable.Range(0, 4).Select(_ => random.Next(-128, 128) * 0.125f)]))];
    }

    public void ResetCount() => Volatile.Write(ref _rowsRead, 0);

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        ReadFrom.Add(fromIndex);
        for (var index = fromIndex; index < _rows.Count; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            BeforeRow?.Invoke(index, cancellationToken);
            if (FailAt == index)
            {
                throw new BatchInputException($"test input breaks off at row {index}");
            }

            Interlocked.Increment(ref _rowsRead);
            yield return _rows[(int)index].ToBatchRow(index, TensorName);
        }
    }

    /// <summary>Nothing to release: the rows are rebuilt on every read, so one input serves several runs.</summary>
    public void Dispose()
    {
    }
}

/// <summary>One row of a <see cref="TestInput"/>: a tensor's bytes with its datatype and shape (first dimension = rows), or an error.</summary>
internal sealed record TestRow(string Key, byte[]? Data, long[] Shape, TensorDataType DataType = TensorDataType.Fp32, string? Error = null)
{
    /// <summary>One row of float readings, shape [1, n].</summary>
    public static TestRow Of(string key, float[] values) => new(key, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), [1, values.Length]);

    /// <summary>Float values with any shape (e.g. the wrong one).</summary>
    public static TestRow Shaped(string key, float[] values, long[] shape) => new(key, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), shape);

    /// <summary>INT64 values, shape [n] (n rows of a model whose input has only the batch dimension).</summary>
    public static TestRow Longs(string key, long[] values) => new(key, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), [values.Length], TensorDataType.Int64);

    /// <summary>A row the reader could not read.</summary>
    public static TestRow Failed(string key, string error) => new(key, null, [], Error: error);

    public BatchRow ToBatchRow(long index, string tensor) => Error is not null || Data is null
        ? new BatchRow(index, Key, Error ?? "no values")
        : new BatchRow(index, Key, [new InferenceTensor(tensor, DataType, Shape, Data.ToArray())]);
}
