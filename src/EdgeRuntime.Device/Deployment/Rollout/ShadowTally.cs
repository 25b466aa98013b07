using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// Adds up the comparisons of one rollout's mirrored requests into a <see cref="ShadowComparison"/>. Thread-safe:
/// the mirror worker adds comparisons and failures, request threads add drops, anyone reads.
/// </summary>
internal sealed class ShadowTally
{
    private readonly Lock _lock = new();
    private long _samples;
    private long _agreeing;
    private long _errors;
    private long _dropped;
    private long _elements;
    private double _sumAbsDiff;
    private double _maxAbsDiff;
    private long _top1Rows;
    private long _top1Agreeing;

    /// <summary>Requests compared so far.</summary>
    public long Samples
    {
        get
        {
            lock (_lock)
            {
                return _samples;
            }
        }
    }

    /// <summary>Whether anything was mirrored, dropped or failed: a rollout that never mirrored has no comparison to show.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _samples == 0 && _errors == 0 && Volatile.Read(ref _dropped) == 0;
            }
        }
    }

    /// <summary>Adds one compared request; returns the samples so far and the share that agreed.</summary>
    public (long Samples, double AgreementRate) Add(in OutputComparison comparison)
    {
        lock (_lock)
        {
            _samples++;
            if (comparison.Agrees)
            {
                _agreeing++;
            }

            _elements += comparison.Elements;
            _sumAbsDiff += comparison.SumAbsDiff;
            _maxAbsDiff = Math.Max(_maxAbsDiff, comparison.MaxAbsDiff);
            _top1Rows += comparison.Top1Rows;
            _top1Agreeing += comparison.Top1Agreeing;
            return (_samples, (double)_agreeing / _samples);
        }
    }

    /// <summary>Counts a mirrored request the candidate failed.</summary>
    public void AddError()
    {
        lock (_lock)
        {
            _errors++;
        }
    }

    /// <summary>Counts a copy dropped because the mirror queue was full; lock-free, it runs on the caller's path.</summary>
    public void AddDropped() => Interlocked.Increment(ref _dropped);

    public ShadowComparison ToComparison()
    {
        lock (_lock)
        {
            return new ShadowComparison
            {
                Samples = _samples,
                Dropped = Volatile.Read(ref _dropped),
                Errors = _errors,
                AgreementRate = _samples == 0 ? 0 : (double)_agreeing / _samples,
                Top1Agreement = _top1Rows == 0 ? null : (double)_top1Agreeing / _top1Rows,
                MaxAbsDiff = _maxAbsDiff,
                MeanAbsDiff = _elements == 0 ? 0 : _sumAbsDiff / _elements,
            };
        }
    }
}
