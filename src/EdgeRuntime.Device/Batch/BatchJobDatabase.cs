using System.Globalization;
using EdgeRuntime.Device.Telemetry;
using SQLite;
using SQLitePCL;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// A batch job's checkpoint in SQLite: the <c>job</c> table (what the job is and how far it got), the <c>errors</c>
/// table, and, for SQLite output, the <c>results</c> table, so that the results and the checkpoint that counts them
/// commit together. For SQLite output it is the output file; for CSV and JSONL it sits beside the output as
/// <c>&lt;output&gt;.job.db</c>.
/// </summary>
/// <remarks>
/// WAL with <c>synchronous=NORMAL</c>: a committed batch survives a crash of the process (SIGKILL included), because
/// its pages are in the log file before the commit returns; a power cut may lose the last commits since a checkpoint
/// but never tears the file. Losing a commit only loses progress — the results and the <c>next_index</c> that covers
/// them are in the same transaction, and a CSV/JSONL file is cut back to the committed <c>output_bytes</c> — so the
/// rows are recomputed, never written twice. FULL would buy nothing but an fsync per batch.
/// <para>
/// One thread at a time uses the connection — the runner before and after a run, the pipeline's writer thread during
/// it — so it is opened without SQLite's own per-call mutex (<c>SQLITE_OPEN_NOMUTEX</c>).
/// </para>
/// </remarks>
internal sealed class BatchJobDatabase : IDisposable
{
    private const string Schema =
        "CREATE TABLE IF NOT EXISTS job (name TEXT PRIMARY KEY, value TEXT);"
        + "CREATE TABLE IF NOT EXISTS errors (idx INTEGER PRIMARY KEY, key TEXT NOT NULL, error TEXT NOT NULL);";

    private const string ResultsSchema =
        "CREATE TABLE IF NOT EXISTS results (idx INTEGER NOT NULL, key TEXT NOT NULL, output TEXT NOT NULL, datatype TEXT NOT NULL, "
        + "shape TEXT NOT NULL, data BLOB NOT NULL, value TEXT, PRIMARY KEY (idx, output)) WITHOUT ROWID;";

    /// <summary>Rows per multi-row insert: 32 × 7 parameters stay far below SQLite's limit of 32766.</summary>
    private const int ResultsPerStatement = 32;

    private readonly SQLiteConnection _connection;
    private readonly Dictionary<string, string?> _values;
    private SqliteStatement? _setValue;
    private SqliteStatement? _insertError;
    private SqliteStatement? _insertResult;
    private SqliteStatement? _insertResults;
    private bool _disposed;

    private BatchJobDatabase(string path, SQLiteConnection connection, Dictionary<string, string?> values)
    {
        Path = path;
        _connection = connection;
        _values = values;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>A value of the <c>job</c> table as last read or written; null when it has none.</summary>
    public string? this[string name] => _values.GetValueOrDefault(name);

    /// <summary>A whole-number value of the <c>job</c> table; 0 when it has none.</summary>
    public long Number(string name) =>
        long.TryParse(this[name], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>
    /// Opens the job database at <paramref name="path"/>; null when there is no file.
    /// </summary>
    /// <exception cref="BatchJobException">The file is there but holds no batch job (another database, or not SQLite).</exception>
    public static BatchJobDatabase? OpenExisting(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        SQLiteConnection? connection = null;
        try
        {
            connection = new SQLiteConnection(path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.NoMutex, storeDateTimeAsTicks: true);
            connection.BusyTimeout = TimeSpan.FromSeconds(5);

            // Read before anything changes the file: a database that is not a job's must be left exactly as it was.
            var tables = connection.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'job'");
            if (tables == 0)
            {
                throw new BatchJobException($"{path} is a SQLite database that holds no batch job");
            }

            var values = ReadValues(connection);
            if (values.GetValueOrDefault(BatchJobKeys.Id) is null)
            {
                throw new BatchJobException($"{path} holds a 'job' table without a job id; it is not a batch job's");
            }

            Configure(connection);
            var database = new BatchJobDatabase(path, connection, values);
            connection = null;
            return database;
        }
        catch (SQLiteException ex)
        {
            throw new BatchJobException($"{path} is not a batch job's database: {ex.Message}", ex);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>Creates the job database at <paramref name="path"/> (which must not exist) holding <paramref name="values"/>, committed.</summary>
    public static BatchJobDatabase Create(string path, bool withResults, IReadOnlyDictionary<string, string?> values)
    {
        var connection = new SQLiteConnection(path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.Create | SQLiteOpenFlags.NoMutex, storeDateTimeAsTicks: true);
        try
        {
            connection.BusyTimeout = TimeSpan.FromSeconds(5);
            Configure(connection);
            Exec(connection, Schema + (withResults ? ResultsSchema : ""));
            var database = new BatchJobDatabase(path, connection, new Dictionary<string, string?>(StringComparer.Ordinal));
            database.Set(values);
            return database;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="values"/> into the <c>job</c> table in one transaction.</summary>
    public void Set(IReadOnlyDictionary<string, string?> values)
    {
        Transact(() =>
        {
            foreach (var (name, value) in values)
            {
                SetValue(name, value);
            }
        });
        foreach (var (name, value) in values)
        {
            _values[name] = value;
        }
    }

    /// <summary>
    /// Commits completed batches in one transaction: their results (SQLite output) and errors, and the checkpoint
    /// <paramref name="values"/> (next_index, the row counts, output_bytes) that covers them.
    /// </summary>
    /// <exception cref="SQLiteException">The write failed (full disk, I/O error); nothing of it was stored.</exception>
    public void Commit(IReadOnlyList<BatchCompleted> batches, IReadOnlyDictionary<string, string?> values)
    {
        Transact(() =>
        {
            foreach (var batch in batches)
            {
                InsertResults(batch.Results, batch.Text.GetBuffer());
                foreach (var error in batch.Errors)
                {
                    _insertError ??= new SqliteStatement(_connection, "INSERT INTO errors (idx, key, error) VALUES (?1, ?2, ?3)");
                    _insertError.Bind(1, error.Index).Bind(2, error.Key).Bind(3, error.Error).Run();
                }
            }

            foreach (var (name, value) in values)
            {
                SetValue(name, value);
            }
        });
        foreach (var (name, value) in values)
        {
            _values[name] = value;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _setValue?.Dispose();
        _insertError?.Dispose();
        _insertResult?.Dispose();
        _insertResults?.Dispose();
        _connection.Dispose();
    }

    /// <summary>Deletes a job database or results file with its WAL and shared-memory files.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        foreach (var suffix in BatchJobFiles.DatabaseCompanions)
        {
            File.Delete(path + suffix);
        }
    }

    private static void Configure(SQLiteConnection connection)
    {
        var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode=WAL");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new BatchJobException($"{connection.DatabasePath}: could not switch to WAL journaling (journal_mode is {mode})");
        }

        // See the remarks on the type for why NORMAL is enough here.
        Exec(connection, "PRAGMA synchronous=NORMAL");
    }

    private static Dictionary<string, string?> ReadValues(SQLiteConnection connection)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        using var read = new SqliteStatement(connection, "SELECT name, value FROM job");
        while (read.Step())
        {
            values[read.Text(0)!] = read.Text(1);
        }

        return values;
    }

    private static void Exec(SQLiteConnection connection, string sql)
    {
        var result = raw.sqlite3_exec(connection.Handle, sql, out var message);
        if (result != raw.SQLITE_OK)
        {
            throw SQLiteException.New((SQLite3.Result)result, message ?? SQLite3.GetErrmsg(connection.Handle));
        }
    }

    /// <summary>
    /// Inserts results <see cref="ResultsPerStatement"/> to a statement while there are that many (one statement
    /// step per row costs more than the row), the rest one by one.
    /// </summary>
    private void InsertResults(List<BatchResultRecord> results, byte[] text)
    {
        var next = 0;
        if (results.Count >= ResultsPerStatement)
        {
            _insertResults ??= new SqliteStatement(_connection, "INSERT INTO results (idx, key, output, datatype, shape, data, value) VALUES " + string.Join(", ", Enumerable.Repeat("(?, ?, ?, ?, ?, ?, ?)", ResultsPerStatement)));
            for (; next + ResultsPerStatement <= results.Count; next += ResultsPerStatement)
            {
                for (var i = 0; i < ResultsPerStatement; i++)
                {
                    BindResult(_insertResults, 7 * i, results[next + i], text);
                }

                _insertResults.Run();
            }
        }

        for (; next < results.Count; next++)
        {
            _insertResult ??= new SqliteStatement(_connection, "INSERT INTO results (idx, key, output, datatype, shape, data, value) VALUES (?, ?, ?, ?, ?, ?, ?)");
            BindResult(_insertResult, 0, results[next], text);
            _insertResult.Run();
        }
    }

    private static void BindResult(SqliteStatement statement, int offset, in BatchResultRecord result, byte[] text)
    {
        statement.Bind(offset + 1, result.Index).BindText(offset + 2, text.AsSpan(result.KeyStart, result.KeyLength)).Bind(offset + 3, result.Output)
            .Bind(offset + 4, result.DataType).Bind(offset + 5, result.Shape).BindBlob(offset + 6, result.Data.Span);
        if (result.ValueLength < 0)
        {
            statement.Bind(offset + 7, (byte[]?)null);
        }
        else
        {
            statement.BindText(offset + 7, text.AsSpan(result.ValueStart, result.ValueLength));
        }
    }

    private void SetValue(string name, string? value)
    {
        _setValue ??= new SqliteStatement(_connection, "INSERT INTO job (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value");
        _setValue.Bind(1, name).Bind(2, value).Run();
    }

    private void Transact(Action work)
    {
        Exec(_connection, "BEGIN IMMEDIATE");
        try
        {
            work();
            Exec(_connection, "COMMIT");
        }
        catch
        {
            // A failed COMMIT (full disk) may leave the transaction open; a failed statement always does.
            if (raw.sqlite3_get_autocommit(_connection.Handle) == 0)
            {
                raw.sqlite3_exec(_connection.Handle, "ROLLBACK", out _);
            }

            throw;
        }
    }
}
