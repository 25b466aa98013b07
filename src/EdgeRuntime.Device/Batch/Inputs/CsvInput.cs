using System.Text;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A CSV file with a header row: each later line that is not blank is one row (blank lines still count for line
/// numbers). The feature columns, in order, fill the model input: the ones named, or else every column but the key
/// whose value parses as a number in the first line with the header's number of fields. A row's key is its key
/// column's value, else <c>line N</c>.
/// </summary>
internal sealed class CsvInput : IBatchInput
{
    // Counting the rows reads the whole file; worth it for a progress estimate only while that is quick.
    private const long MaxCountedBytes = 64L << 20;

    private readonly string _path;
    private readonly TensorMetadata _input;
    private readonly string[] _header;
    private readonly int[] _features;
    private readonly int _key;
    private readonly long[] _rowShape;
    private readonly Lazy<long?> _count;

    private CsvInput(string path, TensorMetadata input, string[] header, int[] features, int key, long[] rowShape)
    {
        _path = path;
        _input = input;
        _header = header;
        _features = features;
        _key = key;
        _rowShape = rowShape;
        Fingerprint = FileFingerprint.Of(path);
        _count = new Lazy<long?>(CountRows);
    }

    public string Format => "csv";

    public string Fingerprint { get; }

    public long? Count => _count.Value;

    /// <exception cref="BatchInputException">No header, a named column missing, no numeric column, or rows that cannot fill <paramref name="input"/>.</exception>
    public static CsvInput Open(string path, TensorMetadata input, string? keyColumn, IReadOnlyList<string>? columns)
    {
        if (input.DataType.ElementSize() == 0)
        {
            throw new BatchInputException($"the model's input '{input.Name}' is {input.DataType.ToWireName()}, which numeric CSV columns cannot fill; use a jsonl input");
        }

        using var reader = LineReader.Open(path);
        string[]? header = null;
        int key = -1, firstData = 0;
        string[]? sample = null;
        while (reader.TryRead(out var line))
        {
            if (LineReader.IsBlank(line.Span))
            {
                continue;
            }

            var fields = CsvLine.Split(Encoding.UTF8.GetString(line.Span));
            if (header is null)
            {
                header = fields;
                if (fields.All(f => CsvLine.TryParseNumber(f, out _)))
                {
                    throw new BatchInputException(
                        $"{path}: line {reader.LineNumber} ({string.Join(",", fields)}) looks like data, not a header; a CSV input needs a header row that names its columns");
                }

                key = keyColumn is null ? -1 : IndexOf(header, keyColumn, path, "key column");
                if (columns is not null)
                {
                    break;
                }
            }
            else if (fields.Length == header.Length)
            {
                sample = fields;
                firstData = (int)reader.LineNumber;
                break;
            }
        }

        if (header is null)
        {
            throw new BatchInputException($"{path}: the file is empty; a CSV input needs a header row that names its columns");
        }

        int[] features;
        string described;
        if (columns is not null)
        {
            features = [.. columns.Select(c => IndexOf(header, c, path, "column"))];
            if (features.Length == 0)
            {
                throw new BatchInputException($"{path}: no feature columns are named");
            }

            described = "the columns named";
        }
        else
        {
            if (sample is null)
            {
                throw new BatchInputException($"{path}: no data line has the header's {header.Length} fields, so nothing says which columns are numbers; name the feature columns");
            }

            // The first complete data line decides which columns are features: text columns (ids, labels) are left out.
            features = [.. Enumerable.Range(0, header.Length).Where(c => c != key && CsvLine.TryParseNumber(sample[c], out _))];
            if (features.Length == 0)
            {
                throw new BatchInputException($"{path}: no column holds a number on line {firstData}, the first data line");
            }

            described = $"the numeric columns of line {firstData}";
        }

        var rowShape = RowShape.Resolve(input, features.Length, [], $"{path}: {described} ({string.Join(", ", features.Select(f => $"'{header[f]}'"))})");
        return new CsvInput(path, input, header, features, key, rowShape);
    }

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        using var reader = LineReader.Open(_path);
        var headerSeen = false;
        var index = -1L;
        while (reader.TryRead(out var line))
        {
            if (LineReader.IsBlank(line.Span))
            {
                continue;
            }

            if (!headerSeen)
            {
                headerSeen = true;
                continue;
            }

            index++;
            if (index < fromIndex)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return Row(index, reader.LineNumber, Encoding.UTF8.GetString(line.Span));
        }
    }

    public void Dispose()
    {
    }

    private BatchRow Row(long index, long lineNumber, string text)
    {
        var fields = CsvLine.Split(text);
        var where = $"line {lineNumber}";
        if (fields.Length != _header.Length)
        {
            return new BatchRow(index, where, $"{where}: {fields.Length} fields but the header has {_header.Length}");
        }

        var key = _key >= 0 ? fields[_key] : where;
        var type = _input.DataType;
        var size = type.ElementSize();
        var data = new byte[_features.Length * size];
        for (var i = 0; i < _features.Length; i++)
        {
            var column = _features[i];
            var field = fields[column];
            if (!CsvLine.TryWriteNumber(field, data.AsSpan(i * size), type, out var isNumber))
            {
                return new BatchRow(index, key, isNumber
                    ? $"{where}, column '{_header[column]}': {field} does not fit the model's input '{_input.Name}' ({type.ToWireName()})"
                    : $"{where}, column '{_header[column]}': '{field}' is not a number");
            }
        }

        return new BatchRow(index, key, [new InferenceTensor(_input.Name, type, [.. _rowShape], data)]);
    }

    private long? CountRows()
    {
        if (new FileInfo(_path).Length > MaxCountedBytes)
        {
            return null;
        }

        // Every line that is not blank, but the header.
        return Math.Max(0, LineReader.CountNonBlank(_path) - 1);
    }

    private static int IndexOf(string[] header, string column, string path, string what)
    {
        var index = Array.IndexOf(header, column);
        return index >= 0
            ? index
            : throw new BatchInputException($"{path}: no {what} '{column}'; the header has {string.Join(", ", header.Select(h => $"'{h}'"))}");
    }
}
