using System.Text;
using SQLite;
using SQLitePCL;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// A prepared statement on a connection (the telemetry store's, a batch job's database), through sqlite-net's low-level <see cref="SQLite3"/> calls: the hot
/// paths bind and step it directly, without sqlite-net's reflection-based mapping or a parse per call.
/// </summary>
internal sealed class SqliteStatement : IDisposable
{
    /// <summary>SQLITE_TRANSIENT: SQLite copies bound text before the call returns.</summary>
    private static readonly IntPtr Transient = new(-1);

    private readonly SQLiteConnection _connection;
    private readonly sqlite3_stmt _handle;

    public SqliteStatement(SQLiteConnection connection, string sql)
    {
        _connection = connection;
        _handle = SQLite3.Prepare2(connection.Handle, sql);
    }

    public SqliteStatement Bind(int index, long value) => Check(SQLite3.BindInt64(_handle, index, value));

    public SqliteStatement Bind(int index, string? value) =>
        Check(value is null ? SQLite3.BindNull(_handle, index) : SQLite3.BindText(_handle, index, value, -1, Transient));

    public SqliteStatement Bind(int index, byte[]? utf8) =>
        Check(utf8 is null ? SQLite3.BindNull(_handle, index) : raw.sqlite3_bind_text(_handle, index, utf8.AsSpan()));

    /// <summary>Binds a blob; SQLite copies it (an empty one is a zero-length blob).</summary>
    public SqliteStatement BindBlob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_handle, index, value));

    /// <summary>Binds UTF-8 text; SQLite copies it (empty text is '', not NULL).</summary>
    public SqliteStatement BindText(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_handle, index, utf8));

    /// <summary>
    /// Binds <paramref name="value"/> encoded to UTF-8 in <paramref name="scratch"/> (SQLite copies it, so the scratch is
    /// free again on return), sparing the array per call of the string overload. Returns its UTF-8 length.
    /// </summary>
    public int Bind(int index, string? value, ref byte[] scratch)
    {
        if (value is null)
        {
            Check(SQLite3.BindNull(_handle, index));
            return 0;
        }

        if (scratch.Length < Encoding.UTF8.GetMaxByteCount(value.Length))
        {
            scratch = new byte[Math.Max(Encoding.UTF8.GetMaxByteCount(value.Length), scratch.Length * 2)];
        }

        var length = Encoding.UTF8.GetBytes(value, scratch);
        Check(raw.sqlite3_bind_text(_handle, index, scratch.AsSpan(0, length)));
        return length;
    }

    /// <summary>True while there is a row to read; false when done; throws <see cref="SQLiteException"/> on an error.</summary>
    public bool Step()
    {
        var result = SQLite3.Step(_handle);
        return result switch
        {
            SQLite3.Result.Row => true,
            SQLite3.Result.Done => false,
            _ => throw SQLiteException.New(result, SQLite3.GetErrmsg(_connection.Handle)),
        };
    }

    /// <summary>Steps a statement that returns no rows and makes it ready for the next bind.</summary>
    public void Run()
    {
        try
        {
            Step();
        }
        finally
        {
            SQLite3.Reset(_handle);
        }
    }

    public long Int64(int column) => SQLite3.ColumnInt64(_handle, column);

    public string? Text(int column) => IsNull(column) ? null : SQLite3.ColumnString(_handle, column);

    /// <summary>A text column's UTF-8 bytes, valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> Utf8(int column) => raw.sqlite3_column_blob(_handle, column);

    public bool IsNull(int column) => SQLite3.ColumnType(_handle, column) == SQLite3.ColType.Null;

    /// <summary>Makes the statement ready to bind and step again; the result of a failed step was already thrown.</summary>
    public void Reset() => SQLite3.Reset(_handle);

    public void Dispose() => SQLite3.Finalize(_handle);

    private SqliteStatement Check(int result) =>
        result == 0 ? this : throw SQLiteException.New((SQLite3.Result)result, SQLite3.GetErrmsg(_connection.Handle));
}
