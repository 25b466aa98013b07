using EdgeRuntime.Contracts.Inference;

namespace EdgeRuntime.Device.Inference;

/// <summary>A thread-safe count of events and their summed duration, read as Triton's <c>{count, ns}</c>.</summary>
public sealed class DurationCounter
{
    private long _count;
    private long _ns;

    /// <summary>Adds <paramref name="count"/> events that took <paramref name="nanoseconds"/> in all.</summary>
    public void Add(long nanoseconds, long count = 1)
    {
        Interlocked.Add(ref _count, count);
        Interlocked.Add(ref _ns, nanoseconds);
    }

    public DurationStatistic Snapshot() => new(Volatile.Read(ref _count), Volatile.Read(ref _ns));
}
