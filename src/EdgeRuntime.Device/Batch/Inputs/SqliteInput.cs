using System.Globalization;
using EdgeRuntime.Device.Inference;
using SQLite;
using SQLitePCL;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// A table of a SQLite database, opened read-only, rows in rowid order. A row's <see cref="BatchRow.Index"/> is its
/// rowid: rows appended later (a table that grows between nightly runs) leave earlier indexes as they were, and a resumed
/// job reads <c>WHERE rowid &gt;= ?</c> from the index, which the rowid's index makes cheap. The feature columns are the
/// ones named, or else every column but the key and the primary key whose declared type is numeric (contains INT, REAL,
/// FLOA, DOUB, NUM or DEC). The key is the key column's value (the rowid when that is NULL), else the rowid.
/// </summary>
internal sealed class SqliteInput : IBatchInput
{
    /// <summary>SQLITE_TRANSIENT: SQLite copies bound text before the call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    private readonly SQLiteConnection _connection;
    private readonly TensorMetadata _input;
    private readonly string _table;
    private readonly string[] _features;
    private readonly string? _key;
    private readonly long[] _rowShape;
    private readonly Lazy<long?> _count;

    private SqliteInput(string path, SQLiteConnection connection, TensorMetadata input, string table, string[] features, string? key, long[] rowShape)
    {
        _connection = connection;
        _input = input;
        _table = table;
        _features = features;
        _key = key;
        _rowShape = rowShape;
        Fingerprint = $"{path}|{table}";
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
            string? key = keyColumn is null ? null : ColumnOf(declared, keyColumn, path, name, "key column");
            string[] features = columns is not null
                ? [.. columns.Select(c => ColumnOf(declared, c, path, name, "column"))]
                : [.. declared.Where(c => !c.PrimaryKey && c.Name != key && IsNumeric(c.Type)).Select(c => c.Name)];
            if (features.Length == 0)
            {
                throw new BatchInputException(columns is not null
                    ? $"{path}: no feature columns are named"
                    : $"{path}: table '{name}' has no column of a numeric type (INT, REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL) besides the key; name the feature columns");
            }

            if (Query(connection, $"SELECT min(rowid) FROM {Quote(name)}", s => SQLite3.ColumnInt64(s, 0)) < 0)
            {
                throw new BatchInputException($"{path}: table '{name}' has rows with a negative rowid, which cannot serve as row indexes");
            }

            var rowShape = RowShape.Resolve(input, features.Length, [], $"{path}: table '{name}' ({string.Join(", ", features.Select(f => $"'{f}'"))})");
            var opened = new SqliteInput(path, connection, input, name, features, key, rowShape);
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
        var sql = $"SELECT rowid, {keyColumn}, {string.Join(", ", _features.Select(Quote))} FROM {Quote(_table)} WHERE rowid >= ? ORDER BY rowid";
        var statement = Prepare(_connection, sql);
        try
        {
            Check(SQLite3.BindInt64(statement, 1, fromIndex));
            while (Step(statement))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return Row(statement);
            }
        }
        finally
        {
            SQLite3.Finalize(statement);
        }
    }

    public void Dispose() => _connection.Dispose();

    private BatchRow Row(sqlite3_stmt statement)
    {
        var rowid = SQLite3.ColumnInt64(statement, 0);
        var where = $"rowid {rowid}";
        var key = SQLite3.ColumnType(statement, 1) == SQLite3.ColType.Null
            ? rowid.ToString(CultureInfo.InvariantCulture)
            : SQLite3.ColumnString(statement, 1);
        var type = _input.DataType;
        var size = type.ElementSize();
        var data = new byte[_features.Length * size];
        for (var i = 0; i < _features.Length; i++)
        {
            var column = i + 2;
            double value;
            switch (SQLite3.ColumnType(statement, column))
            {
                case SQLite3.ColType.Integer: value = SQLite3.ColumnInt64(statement, column); break;
                case SQLite3.ColType.Float: value = SQLite3.ColumnDouble(statement, column); break;
                case SQLite3.ColType.Null: return new BatchRow(rowid, key, $"{where}, column '{_features[i]}': NULL is not a number");
                case SQLite3.ColType.Text: return new BatchRow(rowid, key, $"{where}, column '{_features[i]}': '{SQLite3.ColumnString(statement, column)}' is not a number");
                default: return new BatchRow(rowid, key, $"{where}, column '{_features[i]}': a blob is not a number");
            }

            if (!TensorValues.TryWriteData(data.AsSpan(i * size), type, value))
            {
                return new BatchRow(rowid, key, $"{where}, column '{_features[i]}': {TensorValues.Format(value)} does not fit the model's input '{_input.Name}' ({type.ToWireName()})");
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
            return Query(_connection, sql, read);
        }
        catch (SQLiteException ex)
        {
            throw new BatchInputException($"reading table '{_table}': {ex.Message}", ex);
        }
    }

    private static long? Query(SQLiteConnection connection, string sql, Func<sqlite3_stmt, long> read)
    {
        var statement = Prepare(connection, sql);
        try
        {
            return SQLite3.Step(statement) == SQLite3.Result.Row && SQLite3.ColumnType(statement, 0) != SQLite3.ColType.Null ? read(statement) : null;
        }
        finally
        {
            SQLite3.Finalize(statement);
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

}
