using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Records telemetry without ever blocking the caller: <see cref="Record"/> puts the record into a bounded in-memory
/// channel and a background writer appends it to the <see cref="TelemetryStore"/> in batches, one transaction each.
/// When the channel fills up, samples are refused first (past half its capacity), then metrics (past three quarters),
/// drift (past seven eighths), events only when it is full; refused records are counted and recorded as a
/// <c>records_dropped</c> event. When the store cannot write (full disk), the writer keeps its batch and retries.
/// </summary>
public sealed partial class TelemetryRecorder : BackgroundService
{
    private const string ChannelFullReason = "channel_full";
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly TelemetryStore _store;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _batchSize;
    private readonly Channel<Item> _channel;
    private readonly int[] _admitBelow;
    private readonly long[] _channelDrops = new long[(int)TelemetryKind.Sample + 1];
    private int _failedAttempts;
    private volatile bool _drained;

    public TelemetryRecorder(TelemetryStore store, IOptions<TelemetryStoreOptions> options, ILogger<TelemetryRecorder> logger, TimeProvider? time = null)
    {
        _store = store;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        var capacity = options.Value.ChannelCapacity;
        _batchSize = options.Value.WriteBatchSize;
        _channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _admitBelow = new int[_channelDrops.Length];
        _admitBelow[(int)TelemetryKind.Event] = capacity;
        _admitBelow[(int)TelemetryKind.Drift] = capacity - (capacity / 8);
        _admitBelow[(int)TelemetryKind.Metrics] = capacity - (capacity / 4);
        _admitBelow[(int)TelemetryKind.Sample] = capacity / 2;
    }

    /// <summary>The store's status, with the records refused by a full channel (and not yet written down) added to <c>Dropped</c>.</summary>
    public TelemetryStoreStatus Status
    {
        get
        {
            var status = _store.Status;
            if (!HasChannelDrops())
            {
                return status;
            }

            var dropped = status.Dropped.ToDictionary(pair => pair.Key, pair => pair.Value + Interlocked.Read(ref _channelDrops[(int)pair.Key]));
            return status with { Dropped = dropped };
        }
    }

    /// <summary>
    /// Queues a record, stamped now, for the store. Never blocks: returns false, and counts the record as dropped for its
    /// kind, when the channel has no room for that kind.
    /// </summary>
    public bool Record(TelemetryKind kind, string type, string? model, string? version, string payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(payload);
        if (kind is < TelemetryKind.Event or > TelemetryKind.Sample)
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a telemetry kind");
        }

        var entry = new TelemetryEntry(kind, type, model, version, payload, _time.GetUtcNow().ToUnixTimeMilliseconds());
        if (_channel.Reader.Count < _admitBelow[(int)kind] && _channel.Writer.TryWrite(new Item(entry, null)))
        {
            return true;
        }

        Interlocked.Increment(ref _channelDrops[(int)kind]);
        return false;
    }

    /// <summary>
    /// Completes when everything recorded before the call is committed to the store (waiting out a failing disk);
    /// at once when the recorder has already stopped, since stopping writes everything down.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _channel.Writer.WriteAsync(new Item(default, flushed), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return;
        }

        await flushed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<TelemetryEntry>(_batchSize);
        var flushes = new List<TaskCompletionSource>();
        var retryDelay = FirstRetryDelay;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (batch.Count == 0 && flushes.Count == 0 && !await _channel.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    break;
                }

                Fill(batch, flushes);
                if (TryWrite(batch, flushes, retryDelay))
                {
                    retryDelay = FirstRetryDelay;
                    continue;
                }

                await Task.Delay(retryDelay, _time, stoppingToken).ConfigureAwait(false);
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: fall through to write down what is left.
        }

        Drain(batch, flushes);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // BackgroundService starts ExecuteAsync with the stopping token, so a stop that comes before the writer loop
        // ran cancels it unstarted, and nothing drained the channel: do it here, now that no loop can be running.
        if (ExecuteTask is null or { IsCompleted: true } && !_drained)
        {
            Drain([], []);
        }
    }

    /// <summary>On shutdown: refuses new records and writes down everything queued; one attempt, since the host is going.</summary>
    private void Drain(List<TelemetryEntry> batch, List<TaskCompletionSource> flushes)
    {
        _drained = true;
        _channel.Writer.TryComplete();
        while (true)
        {
            Fill(batch, flushes);
            if (batch.Count == 0 && flushes.Count == 0 && !HasChannelDrops())
            {
                return;
            }

            if (!TryWrite(batch, flushes, retryDelay: TimeSpan.Zero))
            {
                var lost = batch.Count + _channel.Reader.Count;
                LogLostAtShutdown(lost, _store.Path);
                foreach (var flush in flushes)
                {
                    flush.TrySetException(new TelemetryStoreException($"telemetry store {_store.Path}: {lost} record(s) could not be written at shutdown"));
                }

                return;
            }
        }
    }

    /// <summary>Tops the batch up from the channel; stops at a flush marker so that the flush completes right after this batch.</summary>
    private void Fill(List<TelemetryEntry> batch, List<TaskCompletionSource> flushes)
    {
        while (batch.Count < _batchSize && _channel.Reader.TryRead(out var item))
        {
            if (item.Flushed is not null)
            {
                flushes.Add(item.Flushed);
                return;
            }

            batch.Add(item.Entry);
        }
    }

    /// <summary>Appends the batch and the channel's drop counts; on failure logs, keeps both for the next attempt and returns false.</summary>
    private bool TryWrite(List<TelemetryEntry> batch, List<TaskCompletionSource> flushes, TimeSpan retryDelay)
    {
        try
        {
            if (batch.Count > 0)
            {
                _store.Append(batch);
                batch.Clear();
            }

            WriteChannelDrops();
        }
        catch (TelemetryStoreException ex)
        {
            _failedAttempts++;
            LogWriteFailed(batch.Count, retryDelay.TotalSeconds, ex.Message);
            return false;
        }

        if (_failedAttempts > 0)
        {
            LogWriteRecovered(_failedAttempts);
            _failedAttempts = 0;
        }

        foreach (var flush in flushes)
        {
            flush.TrySetResult();
        }

        flushes.Clear();
        return true;
    }

    private void WriteChannelDrops()
    {
        if (!HasChannelDrops())
        {
            return;
        }

        var dropped = new Dictionary<TelemetryKind, long>();
        foreach (var kind in Enum.GetValues<TelemetryKind>())
        {
            dropped[kind] = Interlocked.Exchange(ref _channelDrops[(int)kind], 0);
        }

        try
        {
            _store.RecordDropped(ChannelFullReason, dropped);
        }
        catch
        {
            foreach (var (kind, count) in dropped)
            {
                Interlocked.Add(ref _channelDrops[(int)kind], count);
            }

            throw;
        }

        LogChannelFull(dropped.Values.Sum());
    }

    private bool HasChannelDrops()
    {
        for (var slot = 0; slot < _channelDrops.Length; slot++)
        {
            if (Interlocked.Read(ref _channelDrops[slot]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Telemetry store write of {Count} record(s) failed; keeping them and retrying in {DelaySeconds} s: {Reason}")]
    private partial void LogWriteFailed(int count, double delaySeconds, string reason);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Telemetry store writes again after {Attempts} failed attempt(s)")]
    private partial void LogWriteRecovered(int attempts);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Telemetry channel was full: {Count} record(s) dropped, lowest priority first")]
    private partial void LogChannelFull(long count);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "{Count} telemetry record(s) lost at shutdown: the store {Path} could not write them")]
    private partial void LogLostAtShutdown(int count, string path);

    /// <summary>A queued record, or a flush marker (<paramref name="Flushed"/> set) that completes once everything before it is written.</summary>
    private readonly record struct Item(TelemetryEntry Entry, TaskCompletionSource? Flushed);
}
