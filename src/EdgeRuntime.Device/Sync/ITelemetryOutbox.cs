using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Sync;

/// <summary>What the uplink drains: records by sequence, oldest first, deleted by range once the hub acknowledged them.</summary>
public interface ITelemetryOutbox
{
    /// <summary>Up to <paramref name="maxCount"/> records with a sequence number above <paramref name="afterSequence"/>, oldest first.</summary>
    IReadOnlyList<TelemetryRecord> Read(long afterSequence, int maxCount);

    /// <summary>Deletes the records from <paramref name="fromSequence"/> to <paramref name="toSequence"/> inclusive; returns how many went.</summary>
    long Delete(long fromSequence, long toSequence);

    /// <summary>Records held now.</summary>
    long Count { get; }

    /// <summary>The last sequence number ever assigned; 0 before the first record.</summary>
    long LastSequence { get; }
}
