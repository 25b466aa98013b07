using System.Globalization;
using EdgeRuntime.Device.Inference;
using Microsoft.Win32.SafeHandles;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A NumPy <c>.npy</c> array whose first dimension is the rows: row <c>i</c> is read from the file when it is wanted
/// (so memory holds a row, not the array), converted to the model input's datatype when the array's differs. A row's
/// key is its index.
/// </summary>
internal sealed class NpyInput : IBatchInput
{
    private const long ChunkBytes = 64 * 1024;

    private readonly SafeFileHandle _file;
    private readonly NpyHeader _header;
    private readonly TensorMetadata _input;
    private readonly long[] _rowShape;
    private readonly long _rowBytes;

    private NpyInput(string path, SafeFileHandle file, NpyHeader header, TensorMetadata input, long[] rowShape)
    {
        _file = file;
        _header = header;
        _input = input;
        _rowShape = rowShape;
        _rowBytes = header.Shape[0] == 0 ? 0 : header.DataBytes / header.Shape[0];
        Fingerprint = FileFingerprint.Of(path);
    }

    public string Format => "npy";

    public string Fingerprint { get; }

    public long? Count => _header.Shape[0];

    /// <exception cref="BatchInputException">Not a readable .npy file, or one whose rows cannot fill <paramref name="input"/>.</exception>
    public static NpyInput Open(string path, TensorMetadata input)
    {
        if (input.DataType.ElementSize() == 0)
        {
            throw new BatchInputException($"the model's input '{input.Name}' is {input.DataType.ToWireName()}, which a numeric .npy array cannot fill; use a jsonl input");
        }

        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchInputException($"{path}: {ex.Message}", ex);
        }

        try
        {
            var header = NpyHeader.Read(file, path);
            if (header.Shape.Length == 0)
            {
                throw new BatchInputException($"{path}: holds a single value (shape ()); batch rows are along an array's first dimension");
            }

            var rowDims = header.Shape.AsSpan(1);
            var rowShape = RowShape.Resolve(input, InferenceTensor.ElementCountOf(rowDims), rowDims, $"{path} (shape {InferenceTensor.FormatShape(header.Shape)})");
            return new NpyInput(path, file, header, input, rowShape);
        }
        catch (InvalidDataException ex)
        {
            file.Dispose();
            throw new BatchInputException(ex.Message, ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        // Rows are read a chunk at a time (about 64 KiB): one read call per row would cost more than the row's copy.
        var rows = _header.Shape[0];
        var chunkRows = Math.Max(1, ChunkBytes / Math.Max(1, _rowBytes));
        var chunk = new byte[chunkRows * _rowBytes];
        for (var first = Math.Max(0, fromIndex); first < rows; first += chunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(chunkRows, rows - first);
            var bytes = (int)(count * _rowBytes);
            var read = ReadFully(chunk.AsSpan(0, bytes), _header.DataStart + (first * _rowBytes));
            var whole = read < bytes ? read / _rowBytes : count;
            for (var i = 0; i < whole; i++)
            {
                yield return Row(first + i, chunk.AsSpan((int)(i * _rowBytes), (int)_rowBytes));
            }

            if (whole < count)
            {
                throw new BatchInputException($"the .npy file ends before row {first + whole}: it was truncated after the job opened it");
            }
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; fewer bytes only at the end of the file.</summary>
    private int ReadFully(Span<byte> buffer, long offset)
    {
        // A read may return less than asked without being at the end (network and FUSE file systems do).
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(_file, buffer[total..], offset + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private BatchRow Row(long index, ReadOnlySpan<byte> raw)
    {
        var key = index.ToString(CultureInfo.InvariantCulture);
        if (_header.DataType == _input.DataType)
        {
            return new BatchRow(index, key, [new InferenceTensor(_input.Name, _input.DataType, [.. _rowShape], raw.ToArray())]);
        }

        // The model decides the element type; a value it cannot hold (a fraction for an integer input) fails the row only.
        var converted = new byte[raw.Length / _header.DataType.ElementSize() * _input.DataType.ElementSize()];
        return TensorValues.TryConvert(raw, _header.DataType, converted, _input.DataType, out var problem)
            ? new BatchRow(index, key, [new InferenceTensor(_input.Name, _input.DataType, [.. _rowShape], converted)])
            : new BatchRow(index, key, $"row {index}: {problem} (the model's input '{_input.Name}' is {_input.DataType.ToWireName()})");
    }
}
