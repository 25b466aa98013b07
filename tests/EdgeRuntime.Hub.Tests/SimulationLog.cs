using System.Collections.Concurrent;

namespace EdgeRuntime.Hub.Tests;

/// <summary>
/// What simulated devices did, in one global order: a device's promotion is logged before its status goes out, so
/// anything the hub did because of that status is logged after it.
/// </summary>
internal sealed class SimulationLog
{
    public const string Desired = "desired";
    public const string Promoted = "promoted";
    public const string RolledBack = "rolled_back";

    private long _sequence;

    public ConcurrentQueue<(long Sequence, string DeviceId, string What, string Version)> Entries { get; } = new();

    public void Add(string deviceId, string what, string version) => Entries.Enqueue((Interlocked.Increment(ref _sequence), deviceId, what, version));

    /// <summary>The sequence number of the device's first entry of that kind for the version; null when there is none.</summary>
    public long? First(string deviceId, string what, string version) =>
        Entries.Where(e => e.DeviceId == deviceId && e.What == what && e.Version == version).Select(e => (long?)e.Sequence).Min();
}
