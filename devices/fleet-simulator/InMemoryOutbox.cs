using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.FleetSimulator;

/// <summary>
/// A virtual device's outbox in memory: the uplink drains it like the SQLite store. It notes when each acknowledged
/// record was created, so the simulator can report the delay from creation to the hub's acknowledgement.
/// </summary>
internal sealed class InMemoryOutbox : ITelemetryOutbox
{
    private readonly Lock _lock = new();
    private readonly List<TelemetryRecord> _records = [];
    private readonly Action<long, int> _acknowledged;
    private long _lastSequence;

    /// <param name="acknowledged">Called with (oldest creation time in Unix ms, record count) for every range the hub acknowledged.</param>
    public InMemoryOutbox(Action<long, int> acknowledged)
    {
        _acknowledged = acknowledged;
    }

    public long Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public long LastSequence
    {
        get
        {
            lock (_lock)
            {
                return _lastSequence;
            }
        }
    }

    public void Append(TelemetryKind kind, string type, string payload, int count)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _records.Add(new TelemetryRecord(++_lastSequence, kind, now, type, "demo", "1", payload));
            }
        }
    }

    public IReadOnlyList<TelemetryRecord> Read(long afterSequence, int maxCount)
    {
        lock (_lock)
        {
            var start = _records.FindIndex(r => r.Sequence > afterSequence);
            return start < 0 ? [] : _records.GetRange(start, Math.Min(maxCount, _records.Count - start));
        }
    }

    public long Delete(long fromSequence, long toSequence)
    {
        long oldest = long.MaxValue;
        int removed;
        lock (_lock)
        {
            removed = 0;
            foreach (var record in _records)
            {
                if (record.Sequence >= fromSequence && record.Sequence <= toSequence)
                {
                    oldest = Math.Min(oldest, record.TimestampMs);
                    removed++;
                }
            }

            _records.RemoveAll(r => r.Sequence >= fromSequence && r.Sequence <= toSequence);
        }

        if (removed > 0)
        {
            _acknowledged(oldest, removed);
        }

        return removed;
    }
}
