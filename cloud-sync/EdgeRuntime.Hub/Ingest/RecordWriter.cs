using System.Threading.Channels;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Ingest;

/// <summary>
/// The one writer of ingested records, with group commit: handlers enqueue a parsed batch and await it; the writer
/// commits every batch waiting (up to <see cref="MaxRecordsPerCommit"/> records) in one transaction and then completes
/// them, so a device's acknowledgement means its records are in the store.
/// </summary>
internal sealed partial class RecordWriter(HubStore store, IOptions<HubOptions> options, TimeProvider time, ILogger<RecordWriter> logger) : BackgroundService
{
    private const int MaxRecordsPerCommit = 50_000;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly bool _webhookConfigured = !string.IsNullOrEmpty(options.Value.Retraining.WebhookUrl);

    /// <summary>Raised (on the writer's thread) after a commit that added alerts.</summary>
    public event Action? AlertsAdded;

    /// <summary>Completes once the batch's records are committed; throws when the commit failed.</summary>
    public Task WriteAsync(IngestBatch batch, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(batch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("the record writer has stopped");
        }

        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        var batches = new List<IngestBatch>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                var records = 0;
                while (records < MaxRecordsPerCommit && _queue.Reader.TryRead(out var pending))
                {
                    group.Add(pending);
                    batches.Add(pending.Batch);
                    records += pending.Batch.Records.Count;
                }

                try
                {
                    var alerts = store.CommitBatches(batches, time.GetUtcNow().ToUnixTimeMilliseconds(), _webhookConfigured);
                    foreach (var done in group)
                    {
                        done.Done.TrySetResult();
                    }

                    if (alerts > 0)
                    {
                        AlertsAdded?.Invoke();
                    }
                }
                catch (Exception ex)
                {
                    LogCommitFailed(logger, batches.Count, ex);
                    foreach (var failed in group)
                    {
                        failed.Done.TrySetException(ex);
                    }
                }

                group.Clear();
                batches.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Done.TrySetException(new InvalidOperationException("the hub is stopping"));
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Committing {Batches} telemetry batches failed; their devices keep them and retry")]
    private static partial void LogCommitFailed(ILogger logger, int batches, Exception exception);

    private sealed record Pending(IngestBatch Batch, TaskCompletionSource Done);
}
