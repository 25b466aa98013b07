using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SQLite;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The device's telemetry outbox: one SQLite file (WAL) holding events, drift reports, metric snapshots and sampled
/// predictions, each under a per-device sequence number that is never reused. It keeps itself within a byte budget
/// (evicting samples first, then metrics, then drift, events last, oldest first within a kind) and an age limit,
/// counts what it dropped and records a <c>records_dropped</c> event when it does. The uplink reads it by sequence
/// ranges and deletes only the ranges the hub acknowledged. The only type that touches SQLite; thread-safe.
/// </summary>
public sealed partial class TelemetryStore : IDisposable, Sync.ITelemetryOutbox
{
    /// <summary>
    /// Bytes accounted per row beyond its strings: the row's integers and header, its (kind, ts) index entry and
    /// b-tree slack; the store benchmark's file size divided by its rows stays under this plus the strings.
    /// </summary>
    internal const int RowOverheadBytes = 64;

    /// <summary>The type of the event the store appends when it dropped records.</summary>
    public const string RecordsDroppedType = "records_dropped";

    /// <summary>Eviction frees down to this share of the budget, so that a full store does not evict on every append.</summary>
    private const double LowWaterFraction = 0.9;

    private const int MaxEvictionChunk = 8192;

    private static readonly TelemetryKind[] EvictionOrder = [TelemetryKind.Sample, TelemetryKind.Metrics, TelemetryKind.Drift, TelemetryKind.Event];

    private readonly Lock _lock = new();
    private readonly SQLiteConnection _connection;
    private readonly TimeProvider _time;
    private readonly long _maxAgeMs;
    private readonly SqliteStatement _insert;
    private readonly SqliteStatement _read;
    private readonly SqliteStatement _deleteRange;
    private readonly SqliteStatement _evictOldest;
    private readonly SqliteStatement _expire;
    private readonly SqliteStatement _firstSequence;
    private readonly SqliteStatement _setMeta;
    private readonly RecentText _recentType = new();
    private readonly RecentText _recentModel = new();
    private readonly RecentText _recentVersion = new();
    private byte[] _utf8 = new byte[4096];
    private Counters _counters;
    private volatile TelemetryStoreStatus _status;
    private bool _disposed;

    /// <summary>
    /// Opens (creating when missing) the store at <paramref name="path"/>; the directory must exist.
    /// Throws <see cref="TelemetryStoreException"/> naming the file when it cannot be opened or is not a usable database.
    /// </summary>
    public TelemetryStore(string path, long maxBytes, TimeSpan maxAge, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        Path = System.IO.Path.GetFullPath(path);
        MaxBytes = maxBytes;
        _maxAgeMs = (long)Math.Min(maxAge.TotalMilliseconds, long.MaxValue / 2);
        _time = time ?? TimeProvider.System;
        SQLiteConnection? connection = null;
        try
        {
            connection = new SQLiteConnection(Path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.Create | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: true);
            connection.BusyTimeout = TimeSpan.FromSeconds(5);
            var mode = connection.ExecuteScalar<string>("PRAGMA journal_mode=WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new TelemetryStoreException($"telemetry store {Path}: could not switch to WAL journaling (journal_mode is {mode})");
            }

            // WAL with synchronous=NORMAL syncs the log at checkpoints, not at every commit: a transaction that
            // committed survives a crash of this process (SIGKILL included), because its pages are already in the
            // log file; a power loss may lose the last transactions since the last checkpoint, but never corrupts the file.
            connection.Execute("PRAGMA synchronous=NORMAL");
            // An 8 MiB page cache (the default is 2 MiB) keeps the index pages that appends and deletes touch.
            connection.Execute("PRAGMA cache_size=-8192");
            // Without a limit the log file keeps the size of its largest burst after each checkpoint.
            connection.ExecuteScalar<long>("PRAGMA journal_size_limit=16777216");
            connection.Execute(
                "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, ts INTEGER NOT NULL, "
                + "type TEXT NOT NULL, model TEXT, version TEXT, payload TEXT NOT NULL, bytes INTEGER NOT NULL)");
            // Eviction and expiry go oldest first within a kind; uploads read by seq, the rowid.
            connection.Execute("CREATE INDEX IF NOT EXISTS records_kind_ts ON records (kind, ts)");
            connection.Execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID");
            _connection = connection;
            _insert = new SqliteStatement(connection, "INSERT INTO records (seq, kind, ts, type, model, version, payload, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
            _read = new SqliteStatement(connection, "SELECT seq, kind, ts, type, model, version, payload FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2");
            _deleteRange = new SqliteStatement(connection, "DELETE FROM records WHERE seq BETWEEN ?1 AND ?2 RETURNING kind, bytes");
            _evictOldest = new SqliteStatement(connection, "DELETE FROM records WHERE seq IN (SELECT seq FROM records WHERE kind = ?1 ORDER BY ts, seq LIMIT ?2) RETURNING bytes");
            _expire = new SqliteStatement(connection, "DELETE FROM records WHERE kind = ?1 AND ts < ?2 RETURNING bytes");
            _firstSequence = new SqliteStatement(connection, "SELECT min(seq) FROM records");
            _setMeta = new SqliteStatement(connection, "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
            _counters = LoadCounters();
        }
        catch (Exception ex)
        {
            DisposeStatements();
            connection?.Dispose();
            if (ex is SQLiteException sqlite)
            {
                throw Failure("open", sqlite);
            }

            throw;
        }

        _status = _counters.ToStatus(MaxBytes);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The byte budget the store keeps to.</summary>
    public long MaxBytes { get; }

    /// <summary>Depth, budget, sequence range and drop counts; kept in memory, so cheap to read on every scrape.</summary>
    public TelemetryStoreStatus Status => _status;

    /// <summary>Records held now.</summary>
    public long Count => _status.Records;

    /// <summary>The last sequence number ever assigned; 0 before the first record.</summary>
    public long LastSequence => _status.LastSequence;

    /// <summary>
    /// Opens the store at <paramref name="path"/>; a file that is not a usable database is moved aside to
    /// <c>&lt;path&gt;.corrupt-&lt;UTC timestamp&gt;</c> (with its WAL and shared-memory files), logged, and replaced by
    /// a fresh store, so that a damaged outbox never stops the device from serving.
    /// </summary>
    public static TelemetryStore Open(string path, long maxBytes, TimeSpan maxAge, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            return new TelemetryStore(path, maxBytes, maxAge, time);
        }
        catch (TelemetryStoreException ex) when (ex.IsCorrupt)
        {
            var full = System.IO.Path.GetFullPath(path);
            var aside = $"{full}.corrupt-{(time ?? TimeProvider.System).GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(full + suffix))
                {
                    File.Move(full + suffix, aside + suffix, overwrite: true);
                }
            }

            LogMovedAside(logger, full, aside, ex.Message);
            return new TelemetryStore(path, maxBytes, maxAge, time);
        }
    }

    /// <summary>
    /// Appends <paramref name="entries"/> in one transaction under the next sequence numbers, then deletes records past
    /// the age limit and evicts past the byte budget (appending a <c>records_dropped</c> event for what went).
    /// Returns the last sequence number assigned (that event's, when there was one).
    /// Throws <see cref="TelemetryStoreException"/> when the write failed (full disk, I/O error); nothing was stored then.
    /// </summary>
    public long Append(IReadOnlyList<TelemetryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            Validate(entry);
        }

        return Transact("append", entries, static (store, next, entries) =>
        {
            foreach (var entry in entries)
            {
                store.Insert(next, entry.Kind, entry.TimestampMs, entry.Type, entry.Model, entry.Version, entry.Payload);
            }
        });
    }

    /// <summary>
    /// Counts records dropped before they reached the store (a full recording channel) in the persisted drop counts
    /// and appends a <c>records_dropped</c> event with <paramref name="reason"/>.
    /// </summary>
    public long RecordDropped(string reason, IReadOnlyDictionary<TelemetryKind, long> dropped)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentNullException.ThrowIfNull(dropped);
        var counts = new long[Counters.Slots];
        foreach (var (kind, count) in dropped)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            counts[Slot(kind)] += count;
        }

        return Transact("record dropped records", (reason, counts), static (store, next, state) => store.RecordDroppedEvent(next, state.reason, state.counts));
    }

    /// <summary>Up to <paramref name="maxCount"/> records with a sequence number above <paramref name="afterSequence"/>, oldest first.</summary>
    public IReadOnlyList<TelemetryRecord> Read(long afterSequence, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var records = new List<TelemetryRecord>(Math.Min(maxCount, 1024));
            try
            {
                _read.Bind(1, afterSequence).Bind(2, maxCount);
                while (_read.Step())
                {
                    records.Add(new TelemetryRecord(
                        _read.Int64(0),
                        (TelemetryKind)_read.Int64(1),
                        _read.Int64(2),
                        _recentType.Get(_read.Utf8(3)),
                        _read.IsNull(4) ? null : _recentModel.Get(_read.Utf8(4)),
                        _read.IsNull(5) ? null : _recentVersion.Get(_read.Utf8(5)),
                        Encoding.UTF8.GetString(_read.Utf8(6))));
                }
            }
            catch (SQLiteException ex)
            {
                throw Failure("read", ex);
            }
            finally
            {
                _read.Reset();
            }

            return records;
        }
    }

    /// <summary>
    /// Deletes the records from <paramref name="fromSequence"/> to <paramref name="toSequence"/> inclusive, once the
    /// hub acknowledged them. Returns the rows deleted (fewer than the range when some were evicted meanwhile).
    /// </summary>
    public long Delete(long fromSequence, long toSequence)
    {
        if (toSequence < fromSequence)
        {
            return 0;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var next = _counters.Clone();
            long deleted = 0;
            try
            {
                _deleteRange.Bind(1, fromSequence).Bind(2, toSequence);
                while (_deleteRange.Step())
                {
                    var slot = Slot((TelemetryKind)_deleteRange.Int64(0));
                    next.Records[slot]--;
                    next.Bytes[slot] -= _deleteRange.Int64(1);
                    deleted++;
                }

                _deleteRange.Reset();
                next.FirstSequence = FirstSequence();
            }
            catch (SQLiteException ex)
            {
                throw Failure("delete", ex);
            }
            finally
            {
                _deleteRange.Reset();
            }

            Publish(next);
            return deleted;
        }
    }

    /// <summary>SQLite's <c>PRAGMA integrity_check</c>: <c>ok</c>, or the first problem found.</summary>
    public string CheckIntegrity()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return _connection.ExecuteScalar<string>("PRAGMA integrity_check");
            }
            catch (SQLiteException ex)
            {
                throw Failure("integrity check", ex);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            DisposeStatements();
            _connection.Dispose();
        }
    }

    /// <summary>
    /// Makes the database refuse to grow (<c>PRAGMA max_page_count</c>), as a full disk would, or lifts that again; for tests.
    /// </summary>
    internal void SimulateFullDisk(bool full)
    {
        lock (_lock)
        {
            var pages = full ? _connection.ExecuteScalar<long>("PRAGMA page_count") : uint.MaxValue - 1L;
            _connection.ExecuteScalar<long>(string.Create(CultureInfo.InvariantCulture, $"PRAGMA max_page_count={pages}"));
        }
    }

    internal static int RecordBytes(string type, string? model, string? version, string payload) =>
        RowOverheadBytes + Encoding.UTF8.GetByteCount(payload) + Encoding.UTF8.GetByteCount(type)
        + (model is null ? 0 : Encoding.UTF8.GetByteCount(model)) + (version is null ? 0 : Encoding.UTF8.GetByteCount(version));

    private static int Slot(TelemetryKind kind) =>
        kind is >= TelemetryKind.Event and <= TelemetryKind.Sample ? (int)kind : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a telemetry kind");

    private static void Validate(in TelemetryEntry entry)
    {
        Slot(entry.Kind);
        if (string.IsNullOrEmpty(entry.Type))
        {
            throw new ArgumentException("a telemetry entry needs a type", nameof(entry));
        }

        if (entry.Payload is null)
        {
            throw new ArgumentException($"telemetry entry '{entry.Type}' has no payload", nameof(entry));
        }
    }

    /// <summary>
    /// One write transaction: <paramref name="body"/> inserts, then expiry and eviction; the in-memory counters change
    /// only after the commit, so a failed write leaves the store exactly as it was.
    /// </summary>
    private long Transact<TState>(string action, TState state, Action<TelemetryStore, Counters, TState> body)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var next = _counters.Clone();
            try
            {
                _connection.Execute("BEGIN IMMEDIATE");
                try
                {
                    body(this, next, state);
                    var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                    Expire(next, now - _maxAgeMs);
                    Evict(next);
                    SaveMeta(next);
                    _connection.Execute("COMMIT");
                }
                catch
                {
                    Rollback();
                    throw;
                }
            }
            catch (SQLiteException ex)
            {
                throw Failure(action, ex);
            }

            Publish(next);
            return next.LastSequence;
        }
    }

    private void Insert(Counters next, TelemetryKind kind, long timestampMs, string type, string? model, string? version, string payload)
    {
        var sequence = next.LastSequence + 1;
        long bytes = RowOverheadBytes;
        try
        {
            _insert.Bind(1, sequence).Bind(2, (long)kind).Bind(3, timestampMs);
            bytes += _insert.Bind(4, type, ref _utf8) + _insert.Bind(5, model, ref _utf8) + _insert.Bind(6, version, ref _utf8) + _insert.Bind(7, payload, ref _utf8);
            _insert.Bind(8, bytes).Step();
        }
        finally
        {
            _insert.Reset();
        }

        next.LastSequence = sequence;
        next.Records[(int)kind]++;
        next.Bytes[(int)kind] += bytes;
        if (next.FirstSequence == 0)
        {
            next.FirstSequence = sequence;
        }
    }

    private void Expire(Counters next, long cutoffMs)
    {
        var dropped = new long[Counters.Slots];
        foreach (var kind in EvictionOrder)
        {
            if (next.Records[(int)kind] > 0)
            {
                Delete(_expire.Bind(1, (long)kind).Bind(2, cutoffMs), next, kind, dropped);
            }
        }

        RecordDroppedEvent(next, "age", dropped);
    }

    /// <summary>Past the budget, evicts down to the low-water mark: samples, metrics, drift, then events, oldest first, in chunks.</summary>
    private void Evict(Counters next)
    {
        if (next.TotalBytes <= MaxBytes)
        {
            return;
        }

        var target = (long)(MaxBytes * LowWaterFraction);
        var dropped = new long[Counters.Slots];
        foreach (var kind in EvictionOrder)
        {
            var slot = (int)kind;
            while (next.TotalBytes > target && next.Records[slot] > 0)
            {
                var average = Math.Max(1, next.Bytes[slot] / next.Records[slot]);
                var chunk = Math.Clamp(((next.TotalBytes - target) / average) + 1, 1, MaxEvictionChunk);
                if (Delete(_evictOldest.Bind(1, slot).Bind(2, chunk), next, kind, dropped) == 0)
                {
                    break;
                }
            }
        }

        // The event goes in after the eviction and is not itself checked against the budget, so it cannot start a loop.
        RecordDroppedEvent(next, "quota", dropped);
    }

    /// <summary>Runs a <c>DELETE … RETURNING bytes</c> for records of one <paramref name="kind"/>, counting them as dropped; returns how many.</summary>
    private static long Delete(SqliteStatement delete, Counters next, TelemetryKind kind, long[] dropped)
    {
        var slot = (int)kind;
        long deleted = 0;
        try
        {
            while (delete.Step())
            {
                next.Bytes[slot] -= delete.Int64(0);
                next.Records[slot]--;
                deleted++;
            }
        }
        finally
        {
            delete.Reset();
        }

        dropped[slot] += deleted;
        return deleted;
    }

    private void RecordDroppedEvent(Counters next, string reason, long[] dropped)
    {
        if (dropped.All(count => count == 0))
        {
            return;
        }

        var byKind = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var slot = 1; slot < Counters.Slots; slot++)
        {
            next.Dropped[slot] += dropped[slot];
            if (dropped[slot] > 0)
            {
                byKind[((TelemetryKind)slot).ToString().ToLowerInvariant()] = dropped[slot];
            }
        }

        next.FirstSequence = FirstSequence();
        var payload = JsonSerializer.Serialize(new RecordsDroppedPayload(reason, byKind), TelemetryJsonContext.Default.RecordsDroppedPayload);
        Insert(next, TelemetryKind.Event, _time.GetUtcNow().ToUnixTimeMilliseconds(), RecordsDroppedType, null, null, payload);
    }

    private long FirstSequence()
    {
        try
        {
            return _firstSequence.Step() && !_firstSequence.IsNull(0) ? _firstSequence.Int64(0) : 0;
        }
        finally
        {
            _firstSequence.Reset();
        }
    }

    private void SaveMeta(Counters next)
    {
        SetMeta("last_sequence", next.LastSequence);
        for (var slot = 1; slot < Counters.Slots; slot++)
        {
            if (next.Dropped[slot] != _counters.Dropped[slot])
            {
                SetMeta(DroppedKey(slot), next.Dropped[slot]);
            }
        }
    }

    private void SetMeta(string key, long value)
    {
        try
        {
            _setMeta.Bind(1, key).Bind(2, value).Step();
        }
        finally
        {
            _setMeta.Reset();
        }
    }

    private static string DroppedKey(int slot) => "dropped." + ((TelemetryKind)slot).ToString().ToLowerInvariant();

    /// <summary>The counters from the file: the persisted high-water mark and drop counts, and what the table holds.</summary>
    private Counters LoadCounters()
    {
        var counters = new Counters();
        var meta = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var select = new SqliteStatement(_connection, "SELECT key, value FROM meta"))
        {
            while (select.Step())
            {
                meta[select.Text(0)!] = select.Int64(1);
            }
        }

        using (var select = new SqliteStatement(_connection, "SELECT kind, count(*), sum(bytes), max(seq) FROM records GROUP BY kind"))
        {
            while (select.Step())
            {
                var kind = select.Int64(0);
                if (kind is < (int)TelemetryKind.Event or > (int)TelemetryKind.Sample)
                {
                    throw new TelemetryStoreException($"telemetry store {Path}: holds records of unknown kind {kind}; written by a newer version?");
                }

                counters.Records[kind] = select.Int64(1);
                counters.Bytes[kind] = select.Int64(2);
                counters.LastSequence = Math.Max(counters.LastSequence, select.Int64(3));
            }
        }

        counters.LastSequence = Math.Max(counters.LastSequence, meta.GetValueOrDefault("last_sequence"));
        for (var slot = 1; slot < Counters.Slots; slot++)
        {
            counters.Dropped[slot] = meta.GetValueOrDefault(DroppedKey(slot));
        }

        counters.FirstSequence = FirstSequence();
        return counters;
    }

    private void Publish(Counters next)
    {
        _counters = next;
        _status = next.ToStatus(MaxBytes);
    }

    private void Rollback()
    {
        try
        {
            _connection.Execute("ROLLBACK");
        }
        catch (SQLiteException)
        {
            // SQLite already rolled back (it does on some I/O and full-disk errors); nothing is left to undo.
        }
    }

    private TelemetryStoreException Failure(string action, SQLiteException ex)
    {
        var corrupt = ex.Result is SQLite3.Result.Corrupt or SQLite3.Result.NonDBFile;
        var reason = ex.Result switch
        {
            SQLite3.Result.Full => "the disk (or the database's page limit) is full",
            SQLite3.Result.IOError => "I/O error",
            SQLite3.Result.ReadOnly or SQLite3.Result.Perm or SQLite3.Result.CannotOpen or SQLite3.Result.AccessDenied => "the file cannot be opened for writing",
            SQLite3.Result.Busy or SQLite3.Result.Locked => "another process holds the database locked",
            _ when corrupt => "the file is corrupt or not a SQLite database",
            _ => "SQLite error",
        };
        return new TelemetryStoreException($"telemetry store {Path}: {action} failed: {reason} ({ex.Result}: {ex.Message})", ex) { IsCorrupt = corrupt };
    }

    private void DisposeStatements()
    {
        foreach (var statement in new[] { _insert, _read, _deleteRange, _evictOldest, _expire, _firstSequence, _setMeta })
        {
            statement?.Dispose();
        }
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Warning, Message = "Telemetry store {Path} was unusable and is moved aside to {Aside}; starting a fresh store: {Reason}")]
    private static partial void LogMovedAside(ILogger logger, string path, string aside, string reason);

    /// <summary>Per-kind records, bytes and drops (indexed by <see cref="TelemetryKind"/>), and the sequence range.</summary>
    private sealed class Counters
    {
        public const int Slots = (int)TelemetryKind.Sample + 1;

        public long[] Records { get; private init; } = new long[Slots];

        public long[] Bytes { get; private init; } = new long[Slots];

        public long[] Dropped { get; private init; } = new long[Slots];

        public long FirstSequence { get; set; }

        public long LastSequence { get; set; }

        public long TotalBytes => Bytes.Sum();

        public Counters Clone() => new()
        {
            Records = (long[])Records.Clone(),
            Bytes = (long[])Bytes.Clone(),
            Dropped = (long[])Dropped.Clone(),
            FirstSequence = FirstSequence,
            LastSequence = LastSequence,
        };

        public TelemetryStoreStatus ToStatus(long maxBytes) => new(
            Records.Sum(),
            TotalBytes,
            maxBytes,
            FirstSequence,
            LastSequence,
            ByKind(Records),
            ByKind(Dropped));

        private static Dictionary<TelemetryKind, long> ByKind(long[] values) =>
            Enum.GetValues<TelemetryKind>().ToDictionary(kind => kind, kind => values[(int)kind]);
    }
}
