using System.Globalization;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Drains the telemetry outbox to the hub while the link is up: reads oldest first in batches, publishes each batch's
/// events and drift on <c>events</c> and its metrics and samples on <c>telemetry</c> (QoS 1, gzip when large), keeps up
/// to <see cref="SyncOptions.UplinkMaxInFlight"/> batches in flight, and deletes a range only after every publication
/// covering it was accepted, in sequence order. A refusal or a drop keeps the records and retries after a backoff; the
/// hub de-duplicates what arrives twice by (device, sequence).
/// </summary>
public sealed partial class TelemetryUplink : BackgroundService
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);
    private static readonly KeyValuePair<string, string> SchemaProperty = KeyValuePair.Create(SyncHeaders.Schema, SyncProtocol.SchemaVersion.ToString(CultureInfo.InvariantCulture));
    private static readonly KeyValuePair<string, string> GzipProperty = KeyValuePair.Create(SyncHeaders.ContentEncoding, SyncHeaders.Gzip);

    private readonly IHubLink _link;
    private readonly ITelemetryOutbox _outbox;
    private readonly SyncOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _lock = new();
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _publishedRecords;
    private long _lastAckedSequence;

    public TelemetryUplink(IHubLink link, ITelemetryOutbox outbox, SyncOptions options, ILogger logger)
    {
        _link = link;
        _outbox = outbox;
        _options = options;
        _logger = logger;
    }

    /// <summary>Records the hub accepted since start.</summary>
    public long PublishedRecords => Interlocked.Read(ref _publishedRecords);

    /// <summary>The highest sequence number acknowledged and deleted; 0 before the first.</summary>
    public long LastAckedSequence => Interlocked.Read(ref _lastAckedSequence);

    /// <summary>Store records still to send.</summary>
    public long Backlog => _outbox.Count;

    /// <summary>Wakes an idle uplink at once, e.g. after new records were stored.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Completes when every record stored before the call has been acknowledged by the hub (or left the store).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = _outbox.LastSequence;
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                progress = _progress.Task;
            }

            if (LastAckedSequence >= target || _outbox.Count == 0 || _outbox.Read(LastAckedSequence, 1) is [var next] && next.Sequence > target)
            {
                return;
            }

            Wake();
            await progress.WaitAsync(IdlePoll, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _link.WaitConnectedAsync(stoppingToken).ConfigureAwait(false);
                if (await DrainAsync(stoppingToken).ConfigureAwait(false))
                {
                    if (failures > 0)
                    {
                        LogRecovered(failures);
                        failures = 0;
                    }

                    await _wake.WaitAsync(IdlePoll, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                failures++;
                await Task.Delay(Backoff(failures), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (TelemetryStoreException ex)
            {
                failures++;
                LogStoreFailed(ex.Message);
                await Task.Delay(Backoff(failures), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes until the outbox is empty (true) or a publication was not accepted (false).</summary>
    private async Task<bool> DrainAsync(CancellationToken cancellationToken)
    {
        var cursor = LastAckedSequence;
        var inFlight = new Queue<InFlightBatch>(_options.UplinkMaxInFlight);
        var reachedEnd = false;
        try
        {
            while (true)
            {
                while (!reachedEnd && inFlight.Count < _options.UplinkMaxInFlight)
                {
                    var records = _outbox.Read(cursor, _options.UplinkBatchSize);
                    if (records.Count == 0)
                    {
                        reachedEnd = true;
                        break;
                    }

                    var from = records[0].Sequence;
                    var to = records[^1].Sequence;
                    inFlight.Enqueue(new InFlightBatch(cursor + 1, to, records.Count, PublishAsync(from, to, records, cancellationToken)));
                    cursor = to;
                }

                if (!inFlight.TryDequeue(out var head))
                {
                    return true;
                }

                var result = await head.Publication.ConfigureAwait(false);
                if (!result.Accepted)
                {
                    LogNotAccepted(head.From, head.To, result.Reason ?? "refused");
                    return false;
                }

                // Only now, with everything before it acknowledged too, may the range go.
                _outbox.Delete(head.From, head.To);
                Interlocked.Add(ref _publishedRecords, head.Count);
                Interlocked.Exchange(ref _lastAckedSequence, head.To);
                SignalProgress();
                if (reachedEnd && inFlight.Count == 0)
                {
                    // New records may have come in while the tail was in flight.
                    reachedEnd = false;
                }
            }
        }
        finally
        {
            // Let what is still in flight finish before a retry re-reads from the last acknowledged sequence.
            foreach (var batch in inFlight)
            {
                await batch.Publication.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes one store range: its events batch and its telemetry batch, concurrently; accepted when both were.</summary>
    private async Task<HubPublishResult> PublishAsync(long from, long to, IReadOnlyList<TelemetryRecord> records, CancellationToken cancellationToken)
    {
        var events = Message(from, to, records, SyncChannel.Events);
        var telemetry = Message(from, to, records, SyncChannel.Telemetry);
        var eventsTask = events is null ? Task.FromResult(HubPublishResult.Ok) : _link.PublishAsync(events, cancellationToken);
        var telemetryTask = telemetry is null ? Task.FromResult(HubPublishResult.Ok) : _link.PublishAsync(telemetry, cancellationToken);
        var first = await eventsTask.ConfigureAwait(false);
        var second = await telemetryTask.ConfigureAwait(false);
        return !first.Accepted ? first : second;
    }

    private HubMessage? Message(long from, long to, IReadOnlyList<TelemetryRecord> records, SyncChannel channel)
    {
        var json = TelemetryBatchWriter.Write(_link.DeviceId, from, to, records, channel, out _);
        if (json is null)
        {
            return null;
        }

        var compress = json.Length > _options.CompressAboveBytes;
        return new HubMessage(channel, compress ? TelemetryBatchWriter.Gzip(json) : json)
        {
            ContentType = SyncHeaders.JsonContentType,
            Properties = compress ? [SchemaProperty, GzipProperty] : [SchemaProperty],
        };
    }

    private void SignalProgress()
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            done = _progress;
            _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult();
    }

    private TimeSpan Backoff(int failures)
    {
        var ms = Math.Min((double)_options.ReconnectMaxDelayMs, _options.ReconnectMinDelayMs * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1610, Level = LogLevel.Warning, Message = "Uplink: records {From}..{To} were not accepted; keeping them and retrying: {Reason}")]
    private partial void LogNotAccepted(long from, long to, string reason);

    [LoggerMessage(EventId = 1611, Level = LogLevel.Information, Message = "Uplink publishes again after {Failures} failed attempt(s)")]
    private partial void LogRecovered(int failures);

    [LoggerMessage(EventId = 1612, Level = LogLevel.Error, Message = "Uplink could not use the telemetry store: {Reason}")]
    private partial void LogStoreFailed(string reason);

    /// <summary>A store range on its way: <see cref="From"/>..<see cref="To"/> to delete once <see cref="Publication"/> was accepted.</summary>
    private readonly record struct InFlightBatch(long From, long To, int Count, Task<HubPublishResult> Publication);
}
