using System.Text;
using EdgeRuntime.Device.Batch.Inputs;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// Reads the data file of <c>edge-runtime baseline</c> as batches of input tensors, by extension:
/// <c>.csv</c> (a header row, then one row per line; each numeric column is one index of the tensor's
/// feature axis, in column order), <c>.jsonl</c> (one Open Inference Protocol request per line) or
/// <c>.npy</c> (one array whose first dimension is the rows). Problems name the line and column.
/// </summary>
internal static class BaselineSource
{
    /// <summary>
    /// The batches of <paramref name="path"/>, each at most <paramref name="batchRows"/> rows (a JSONL line is
    /// one batch). CSV and .npy data become tensor <paramref name="tensor"/>, in <paramref name="modelInput"/>'s
    /// datatype and rank when a model is given (CSV is FP32 otherwise). The caller disposes each batch.
    /// </summary>
    public static IEnumerable<IReadOnlyList<InferenceTensor>> Read(string path, string tensor, TensorMetadata? modelInput, int batchRows)
    {
        if (!File.Exists(path))
        {
            throw new CommandException($"--input {path}: no such file");
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => Csv(path, tensor, modelInput, batchRows),
            ".jsonl" => Jsonl(path),
            ".npy" => Npy(path, tensor, modelInput, batchRows),
            var other => throw new CommandException($"--input {path}: unknown format '{other}' (use .csv, .jsonl or .npy)"),
        };
    }

    private static IEnumerable<IReadOnlyList<InferenceTensor>> Csv(string path, string tensor, TensorMetadata? modelInput, int batchRows)
    {
        var name = Path.GetFileName(path);
        var type = modelInput?.DataType ?? TensorDataType.Fp32;
        using var reader = new StreamReader(path, Encoding.UTF8);
        var header = reader.ReadLine() ?? throw new CommandException($"{name}: the file is empty (a header row is needed)");
        var columns = CsvLine.Split(header);
        int[]? numeric = null;
        var batch = new List<double>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var fields = CsvLine.Split(line);
            if (fields.Length != columns.Length)
            {
                throw new CommandException($"{name}: line {lineNumber}: {fields.Length} fields but the header has {columns.Length}");
            }

            // The first data row decides which columns are features: text columns (ids, labels) are left out.
            numeric ??= [.. Enumerable.Range(0, fields.Length).Where(c => CsvLine.TryParseNumber(fields[c], out _))];
            if (numeric.Length == 0)
            {
                throw new CommandException($"{name}: line {lineNumber}: no column is numeric");
            }

            foreach (var column in numeric)
            {
                if (!CsvLine.TryParseNumber(fields[column], out var value))
                {
                    throw new CommandException($"{name}: line {lineNumber}, column {column + 1} ('{columns[column]}'): '{fields[column]}' is not a number");
                }

                batch.Add(value);
            }

            if (batch.Count == batchRows * numeric.Length)
            {
                yield return [CsvTensor(tensor, type, batch, numeric.Length, modelInput)];
                batch.Clear();
            }
        }

        if (numeric is null)
        {
            throw new CommandException($"{name}: no data rows after the header");
        }

        if (batch.Count > 0)
        {
            yield return [CsvTensor(tensor, type, batch, numeric.Length, modelInput)];
        }
    }

    private static InferenceTensor CsvTensor(string tensor, TensorDataType type, List<double> values, int features, TensorMetadata? modelInput)
    {
        var rows = values.Count / features;
        long[] shape = modelInput is { Shape.Length: 1 } && features == 1 ? [rows] : [rows, features];
        if (modelInput is not null && modelInput.Shape.Length != shape.Length)
        {
            throw new CommandException(
                $"the CSV gives rows of {features} values but input '{modelInput.Name}' has shape {InferenceTensor.FormatShape(modelInput.Shape)}; use a .npy file for it");
        }

        return new InferenceTensor(tensor, type, shape, Encode(values, type));
    }

    private static IEnumerable<IReadOnlyList<InferenceTensor>> Jsonl(string path)
    {
        var name = Path.GetFileName(path);
        var lineNumber = 0;
        var any = false;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            InferenceRequest request;
            try
            {
                request = InferenceRequestReader.Read(Encoding.UTF8.GetBytes(line), inferenceHeaderLength: null);
            }
            catch (InferenceException ex)
            {
                throw new CommandException($"{name}: line {lineNumber}: {ex.Message}", ex);
            }

            any = true;
            yield return request.Inputs;
        }

        if (!any)
        {
            throw new CommandException($"{name}: no requests in the file");
        }
    }

    private static IEnumerable<IReadOnlyList<InferenceTensor>> Npy(string path, string tensor, TensorMetadata? modelInput, int batchRows)
    {
        NpyArray array;
        try
        {
            array = NpyArray.Read(path);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException(ex.Message, ex);
        }

        var rows = array.Shape.Length == 0 ? 1 : array.Shape[0];
        long[] rowShape = array.Shape.Length == 0 ? [] : array.Shape[1..];
        var rowBytes = InferenceTensor.ElementCountOf(rowShape) * array.DataType.ElementSize();
        for (long start = 0; start < rows; start += batchRows)
        {
            var count = Math.Min(batchRows, rows - start);
            var data = array.Data.Slice((int)(start * rowBytes), (int)(count * rowBytes));
            long[] shape = array.Shape.Length == 0 ? [] : [count, .. rowShape];
            var slice = new InferenceTensor(tensor, array.DataType, shape, data);
            if (modelInput is not null && modelInput.DataType != array.DataType)
            {
                // The model decides the element type: convert, refusing a value the model's type cannot hold.
                var size = modelInput.DataType.ElementSize();
                if (size == 0)
                {
                    throw new CommandException($"the model's input is {modelInput.DataType.ToWireName()}, which a numeric data file cannot fill");
                }

                var converted = new byte[slice.ElementCount * size];
                if (!TensorValues.TryConvert(slice.Data.Span, array.DataType, converted, modelInput.DataType, out var problem))
                {
                    throw new CommandException($"{Path.GetFileName(path)}: row {start} on: {problem}");
                }

                slice = new InferenceTensor(tensor, modelInput.DataType, shape, converted);
            }

            yield return [slice];
        }
    }

    /// <summary>Little-endian bytes of <paramref name="values"/> as <paramref name="type"/>.</summary>
    private static byte[] Encode(List<double> values, TensorDataType type)
    {
        var size = type.ElementSize();
        if (size == 0)
        {
            throw new CommandException($"the model's input is {type.ToWireName()}, which a numeric data file cannot fill");
        }

        var bytes = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            if (!TensorValues.TryWriteData(bytes.AsSpan(i * size), type, values[i]))
            {
                throw new CommandException($"the value {TensorValues.Format(values[i])} does not fit the model's input type {type.ToWireName()}");
            }
        }

        return bytes;
    }
}
