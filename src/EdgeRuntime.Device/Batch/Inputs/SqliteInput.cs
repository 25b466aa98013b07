using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Device.Inference;
using SQLite;
using SQLitePCL;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A table of a SQLite database, opened read-only, rows in rowid order. A row's <see cref="BatchRow.Index"/> is its
/// rowid: rows appended later (a table that grows between nightly runs) leave earlier indexes as they were, and a resumed
/// job reads <c>WHERE rowid &gt;= ?</c> from the index, which the rowid's index makes cheap. The feature columns are the
/// ones named, or else every column but the key and the primary key whose declared type is numeric (contains INT, REAL,
/// FLOA, DOUB, NUM or DEC) or whose value in the first row is a number (an integer, a real, or text that reads as one,
/// as <c>sqlite3 .import</c> leaves a CSV's numbers). The key is the key column's value (the rowid when that is NULL),
/// else the rowid.
/// </summary>
/// <remarks>
/// Rows are read <see cref="ChunkRows"/> at a time, each chunk by its own short read transaction, so a producer writing
/// the database in WAL mode can checkpoint while a long job runs. The fingerprint holds the table's schema and its first
/// row, so a resumed job refuses a database replaced by another export while appended rows resume cleanly.
/// </remarks>
internal sealed class SqliteInput : IBatchInput
{
    /// <summary>The most rows one read transaction takes; fewer when the rows are wide (see <see cref="MaxChunkBytes"/>).</summary>
    private const int ChunkRows = 1000;

    /// <summary>The most tensor bytes a chunk holds in memory before its rows are handed out.</summary>
    private const int MaxChunkBytes = 8 << 20;

    /// <summary>SQLITE_TRANSIENT: SQLite copies bound text before the call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    private readonly SQLiteConnection _connection;
    private readonly TensorMetadata _input;
    private readonly string _table;
    private readonly string[] _features;
    private readonly string? _key;
    private readonly long[] _rowShape;
    private readonly int _chunkRows;
    private readonly Lazy<long?> _count;

    private SqliteInput(SQLiteConnection connection, TensorMetadata input, string table, string[] features, string? key, long[] rowShape, string fingerprint)
    {
        _connection = connection;
        _input = input;
        _table = table;
        _features = features;
        _key = key;
        _rowShape = rowShape;
        _chunkRows = (int)Math.Clamp(MaxChunkBytes / ((long)features.Length * input.DataType.ElementSize()), 1, ChunkRows);
        Fingerprint = fingerprint;
        _count = new Lazy<long?>(() => Query($"SELECT count(*) FROM {Quote(_table)}", s => SQLite3.ColumnInt64(s, 0)));
    }

    public string Format => "sqlite";

    public string Fingerprint { get; }

    public long? Count => _count.Value;

    /// <exception cref="BatchInputException">Not a database, no such table or column, no numeric column, or rows that cannot fill <paramref name="input"/>.</exception>
    public static SqliteInput Open(string path, TensorMetadata input, string? table, string? keyColumn, IReadOnlyList<string>? columns)
    {
        if (input.DataType.ElementSize() == 0)
        {
            throw new BatchInputException($"the model's input '{input.Name}' is {input.DataType.ToWireName()}, which numeric table columns cannot fill; use a jsonl input");
        }

        SQLiteConnection? connection = null;
        try
        {
            connection = new SQLiteConnection(path, SQLiteOpenFlags.ReadOnly | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: true);
            var tables = Strings(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
            var listed = tables.Count == 0 ? "it has none" : $"its tables are {string.Join(", ", tables.Select(t => $"'{t}'"))}";
            if (table is null)
            {
                throw new BatchInputException($"{path}: name the table to read; {listed}");
            }

            // SQLite's own rule: table names match ignoring ASCII case.
            var name = tables.FirstOrDefault(t => string.Equals(t, table, StringComparison.OrdinalIgnoreCase))
                ?? throw new BatchInputException($"{path}: no table '{table}'; {listed}");
            var declared = Columns(connection, name);
            var first = FirstRow.Read(connection, path, name, declared);
            if (first.Rowid < 0)
            {
                throw new BatchInputException($"{path}: table '{name}' has rows with a negative rowid, which cannot serve as row indexes");
            }

            string? key = keyColumn is null ? null : ColumnOf(declared, keyColumn, path, name, "key column");
            string[] features = columns is not null
                ? [.. columns.Select(c => ColumnOf(declared, c, path, name, "column"))]
                : [.. declared.Where((c, i) => !c.PrimaryKey && c.Name != key && (IsNumeric(c.Type) || first.IsNumber[i])).Select(c => c.Name)];
            if (features.Length == 0)
            {
                throw new BatchInputException(columns is not null
                    ? $"{path}: no feature columns are named"
                    : $"{path}: table '{name}' has no column of a numeric type (INT, REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL) or with a number in its first row besides the key; name the feature columns");
            }

            var rowShape = RowShape.Resolve(input, features.Length, [], $"{path}: table '{name}' ({string.Join(", ", features.Select(f => $"'{f}'"))})");
            var opened = new SqliteInput(connection, input, name, features, key, rowShape, first.Fingerprint);
            connection = null;
            return opened;
        }
        catch (SQLiteException ex)
        {
            throw new BatchInputException($"{path}: {ex.Message}", ex);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    public IEnumerable<BatchRow> Read(long fromIndex, CancellationToken cancellationToken)
    {
        var keyColumn = _key is null ? "NULL" : Quote(_key);
        var sql = $"SELECT rowid, {keyColumn}, {string.Join(", ", _features.Select(Quote))} FROM {Quote(_table)} WHERE rowid >= ? ORDER BY rowid LIMIT {_chunkRows}";
        var statement = Prepare(_connection, sql);
        var chunk = new List<BatchRow>(_chunkRows);
        var handedOut = 0;
        try
        {
            var next = fromIndex;
            while (true)
            {
                ReadChunk(statement, next, chunk, cancellationToken);
                for (handedOut = 0; handedOut < chunk.Count;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var row = chunk[handedOut++];
                    yield return row;
                }

                if (chunk.Count < _chunkRows || chunk[^1].Index == long.MaxValue)
                {
                    yield break;
                }

                next = chunk[^1].Index + 1;
                chunk.Clear();
                handedOut = 0;
            }
        }
        finally
        {
            // Rows read but never handed out are still this reader's to dispose.
            for (var i = handedOut; i < chunk.Count; i++)
            {
                chunk[i].Dispose();
            }

            SQLite3.Finalize(statement);
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// Reads the next chunk of rows into <paramref name="chunk"/> and resets the statement before any is handed out, which
    /// ends the chunk's read transaction: a job that spends hours on the rows never pins the producer's WAL.
    /// </summary>
    private void ReadChunk(sqlite3_stmt statement, long fromRowid, List<BatchRow> chunk, CancellationToken cancellationToken)
    {
        try
        {
            Check(SQLite3.BindInt64(statement, 1, fromRowid));
            while (Step(statement))
            {
                cancellationToken.ThrowIfCancellationRequested();
                chunk.Add(Row(statement));
            }
        }
        catch
        {
            foreach (var row in chunk)
            {
                row.Dispose();
            }

            chunk.Clear();
            throw;
        }
        finally
        {
            SQLite3.Reset(statement);
        }
    }

    private BatchRow Row(sqlite3_stmt statement)
    {
        var rowid = SQLite3.ColumnInt64(statement, 0);
        var key = SQLite3.ColumnType(statement, 1) == SQLite3.ColType.Null
            ? rowid.ToString(CultureInfo.InvariantCulture)
            : SQLite3.ColumnString(statement, 1);
        var type = _input.DataType;
        var size = type.ElementSize();
        var data = new byte[_features.Length * size];
        for (var i = 0; i < _features.Length; i++)
        {
            var column = i + 2;
            var at = data.AsSpan(i * size);
            string? unfit;
            switch (SQLite3.ColumnType(statement, column))
            {
                case SQLite3.ColType.Integer:
                    // Written as the integer it is: an INT64 id beyond 2^53 would lose its last digits through double.
                    var whole = SQLite3.ColumnInt64(statement, column);
                    unfit = TensorValues.TryWriteInteger(at, type, whole) ? null : whole.ToString(CultureInfo.InvariantCulture);
                    break;
                case SQLite3.ColType.Float:
                    var value = SQLite3.ColumnDouble(statement, column);
                    unfit = TensorValues.TryWriteData(at, type, value) ? null : TensorValues.Format(value);
                    break;
                case SQLite3.ColType.Text:
                    // Numbers kept as text (what `sqlite3 .import` makes of a CSV) read as the CSV input reads them.
                    var text = SQLite3.ColumnString(statement, column);
                    if (CsvLine.TryWriteNumber(text, at, type, out var isNumber))
                    {
                        unfit = null;
                    }
                    else if (isNumber)
                    {
                        unfit = text;
                    }
                    else
                    {
                        return new BatchRow(rowid, key, $"rowid {rowid}, column '{_features[i]}': '{text}' is not a number");
                    }

                    break;
                case SQLite3.ColType.Null: return new BatchRow(rowid, key, $"rowid {rowid}, column '{_features[i]}': NULL is not a number");
                default: return new BatchRow(rowid, key, $"rowid {rowid}, column '{_features[i]}': a blob is not a number");
            }

            if (unfit is not null)
            {
                return new BatchRow(rowid, key, $"rowid {rowid}, column '{_features[i]}': {unfit} does not fit the model's input '{_input.Name}' ({type.ToWireName()})");
            }
        }

        return new BatchRow(rowid, key, [new InferenceTensor(_input.Name, type, [.. _rowShape], data)]);
    }

    private bool Step(sqlite3_stmt statement)
    {
        var result = SQLite3.Step(statement);
        return result switch
        {
            SQLite3.Result.Row => true,
            SQLite3.Result.Done => false,
            _ => throw new BatchInputException($"reading table '{_table}': {SQLite3.GetErrmsg(_connection.Handle)}"),
        };
    }

    private long? Query(string sql, Func<sqlite3_stmt, long> read)
    {
        try
        {
            var statement = Prepare(_connection, sql);
            try
            {
                return SQLite3.Step(statement) == SQLite3.Result.Row && SQLite3.ColumnType(statement, 0) != SQLite3.ColType.Null ? read(statement) : null;
            }
            finally
            {
                SQLite3.Finalize(statement);
            }
        }
        catch (SQLiteException ex)
        {
            throw new BatchInputException($"reading table '{_table}': {ex.Message}", ex);
        }
    }

    private static List<string> Strings(SQLiteConnection connection, string sql)
    {
        var statement = Prepare(connection, sql);
        try
        {
            var values = new List<string>();
            while (SQLite3.Step(statement) == SQLite3.Result.Row)
            {
                values.Add(SQLite3.ColumnString(statement, 0));
            }

            return values;
        }
        finally
        {
            SQLite3.Finalize(statement);
        }
    }

    private static List<(string Name, string Type, bool PrimaryKey)> Columns(SQLiteConnection connection, string table)
    {
        var statement = Prepare(connection, "SELECT name, type, pk FROM pragma_table_info(?)");
        try
        {
            SQLite3.BindText(statement, 1, table, -1, Transient);
            var columns = new List<(string, string, bool)>();
            while (SQLite3.Step(statement) == SQLite3.Result.Row)
            {
                columns.Add((SQLite3.ColumnString(statement, 0), SQLite3.ColumnString(statement, 1) ?? "", SQLite3.ColumnInt64(statement, 2) != 0));
            }

            return columns;
        }
        finally
        {
            SQLite3.Finalize(statement);
        }
    }

    private static string ColumnOf(List<(string Name, string Type, bool PrimaryKey)> columns, string column, string path, string table, string what)
    {
        foreach (var declared in columns)
        {
            if (string.Equals(declared.Name, column, StringComparison.OrdinalIgnoreCase))
            {
                return declared.Name;
            }
        }

        throw new BatchInputException($"{path}: table '{table}' has no {what} '{column}'; its columns are {string.Join(", ", columns.Select(c => $"'{c.Name}'"))}");
    }

    /// <summary>A declared type that holds numbers: SQLite's INTEGER, REAL and NUMERIC affinities, less what stores dates and flags.</summary>
    private static bool IsNumeric(string type)
    {
        var upper = type.ToUpperInvariant();
        return upper.Contains("INT", StringComparison.Ordinal) || upper.Contains("REAL", StringComparison.Ordinal) || upper.Contains("FLOA", StringComparison.Ordinal)
            || upper.Contains("DOUB", StringComparison.Ordinal) || upper.Contains("NUM", StringComparison.Ordinal) || upper.Contains("DEC", StringComparison.Ordinal);
    }

    /// <summary>An identifier in double quotes, with a quote inside doubled, so a name is never read as SQL.</summary>
    private static string Quote(string identifier) => $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static sqlite3_stmt Prepare(SQLiteConnection connection, string sql) => SQLite3.Prepare2(connection.Handle, sql);

    private void Check(int result)
    {
        if (result != 0)
        {
            throw new BatchInputException($"reading table '{_table}': {SQLite3.GetErrmsg(_connection.Handle)}");
        }
    }

    /// <summary>
    /// What the table's first row (lowest rowid) says: its rowid (null for an empty table), which of its values are
    /// numbers, and the fingerprint of the table's content.
    /// </summary>
    /// <remarks>
    /// The fingerprint holds the table's schema (its <c>CREATE</c> statement and root page) and the first row's rowid and
    /// values, hashed. Rows appended later change none of these, so a resumed job goes on; a database replaced by another
    /// export, a table dropped and created again, or earlier rows deleted change them, so it is refused.
    /// </remarks>
    private sealed record FirstRow(long? Rowid, bool[] IsNumber, string Fingerprint)
    {
        public static FirstRow Read(SQLiteConnection connection, string path, string table, List<(string Name, string Type, bool PrimaryKey)> columns)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var schema = Prepare(connection, "SELECT sql, rootpage FROM sqlite_master WHERE type = 'table' AND name = ?");
            long rootpage;
            try
            {
                SQLite3.BindText(schema, 1, table, -1, Transient);
                SQLite3.Step(schema);
                Append(hash, SQLite3.ColumnString(schema, 0) ?? "");
                rootpage = SQLite3.ColumnInt64(schema, 1);
            }
            finally
            {
                SQLite3.Finalize(schema);
            }

            var isNumber = new bool[columns.Count];
            long? rowid = null;
            var statement = Prepare(connection, $"SELECT rowid, {string.Join(", ", columns.Select(c => Quote(c.Name)))} FROM {Quote(table)} ORDER BY rowid LIMIT 1");
            try
            {
                if (SQLite3.Step(statement) == SQLite3.Result.Row)
                {
                    rowid = SQLite3.ColumnInt64(statement, 0);
                    Span<byte> number = stackalloc byte[8];
                    for (var i = 0; i < columns.Count; i++)
                    {
                        var column = i + 1;
                        var type = SQLite3.ColumnType(statement, column);
                        hash.AppendData([(byte)type]);
                        switch (type)
                        {
                            case SQLite3.ColType.Integer:
                                BinaryPrimitives.WriteInt64LittleEndian(number, SQLite3.ColumnInt64(statement, column));
                                hash.AppendData(number);
                                isNumber[i] = true;
                                break;
                            case SQLite3.ColType.Float:
                                BinaryPrimitives.WriteDoubleLittleEndian(number, SQLite3.ColumnDouble(statement, column));
                                hash.AppendData(number);
                                isNumber[i] = true;
                                break;
                            case SQLite3.ColType.Text:
                                var text = SQLite3.ColumnString(statement, column);
                                Append(hash, text);
                                isNumber[i] = CsvLine.TryParseNumber(text, out _);
                                break;
                            case SQLite3.ColType.Blob:
                                var blob = SQLite3.ColumnBlob(statement, column) ?? [];
                                BinaryPrimitives.WriteInt64LittleEndian(number, blob.Length);
                                hash.AppendData(number);
                                hash.AppendData(blob);
                                break;
                        }
                    }
                }
            }
            finally
            {
                SQLite3.Finalize(statement);
            }

            var first = rowid is { } id ? $"first rowid {id}" : "no rows";
            var fingerprint = string.Create(CultureInfo.InvariantCulture, $"{path}|{table}|rootpage {rootpage}|{first}|sha256:{Convert.ToHexStringLower(hash.GetHashAndReset())}");
            return new FirstRow(rowid, isNumber, fingerprint);
        }

        /// <summary>Text with its length before it, so two values never hash as one.</summary>
        private static void Append(IncrementalHash hash, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }
}
