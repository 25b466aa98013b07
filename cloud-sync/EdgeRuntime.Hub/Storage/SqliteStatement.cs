using SQLite;
using SQLitePCL;

namespace EdgeRuntime.Hub.Storage;

/// <summary>
/// A prepared statement on one of the store's connections through sqlite-net's low-level calls: the ingest path binds
/// and steps it directly, without sqlite-net's reflection-based mapping or a parse per call.
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

    /// <summary>Binds UTF-8 text that SQLite copies before returning, so the span is free again on return.</summary>
    public SqliteStatement BindUtf8(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_text(_handle, index, value));

    /// <summary>Runs a statement that returns no rows; returns the number of rows it changed.</summary>
    public int Execute()
    {
        try
        {
            var result = SQLite3.Step(_handle);
            if (result is not SQLite3.Result.Done and not SQLite3.Result.Row)
            {
                throw SQLiteException.New(result, SQLite3.GetErrmsg(_connection.Handle));
            }

            return SQLite3.Changes(_connection.Handle);
        }
        finally
        {
            SQLite3.Reset(_handle);
        }
    }

    public void Dispose() => SQLite3.Finalize(_handle);

    private SqliteStatement Check(int result) =>
        result == 0 ? this : throw SQLiteException.New((SQLite3.Result)result, SQLite3.GetErrmsg(_connection.Handle));
}
