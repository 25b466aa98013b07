using System.Collections.Concurrent;
using System.Globalization;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Logging;
using SQLite;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// One run of a batch job on dedicated, lowered-priority threads: a reader (<c>edge-batch-read</c>) cuts the input
/// into batches of rows that stack, a bounded queue hands them to the workers (<c>edge-batch-1</c>…), each of which
/// runs a batch on its own thread (the job's session has one intra-op thread, so the run computes right there) and
/// encodes the results. Finished batches are committed strictly in input order — a batch that finishes early waits,
/// within a bound, for the ones before it — each commit moving the checkpoint over exactly the rows it wrote.
/// </summary>
internal sealed partial class BatchPipeline : IDisposable
{
    private readonly BatchRun _run;
    private readonly int _nice;
    private readonly ILogger _logger;
    private readonly Action<long, long>? _onCommitted;
    private readonly CancellationToken _cancellation;
    private readonly CancellationTokenSource _stop;
    private readonly BlockingCollection<PendingBatch> _queue;
    private readonly object _gate = new();
    private readonly Dictionary<long, BatchCompleted> _ready = [];
    private readonly int _maxReady;
    private readonly int _maxItems;
    private readonly byte[] _header;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextSequence;
    private bool _committing;
    private int _threadsLeft;
    private int _priorityLogged;
    private string? _outputFailure;
    private string? _inputFailure;
    private long _nextIndex;
    private long _succeeded;
    private long _failed;
    private long _outputBytes;
    private long _rowsThisRun;

    /// <summary>A run of <paramref name="run"/>; <paramref name="onCommitted"/> is told the rows each commit wrote, succeeded and failed (the host's metrics).</summary>
    public BatchPipeline(BatchRun run, int nice, ILogger logger, Action<long, long>? onCommitted, CancellationToken cancellationToken)
    {
        _run = run;
        _nice = nice;
        _logger = logger;
        _onCommitted = onCommitted;
        _cancellation = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _queue = new BlockingCollection<PendingBatch>(Math.Max(2, 2 * run.Parallelism));
        _maxReady = Math.Max(4, 4 * run.Parallelism);

        // Error rows ride along with the good rows around them, but a stretch of them must not make one huge batch.
        _maxItems = Math.Max(256, 2 * run.BatchSize);
        _header = run.Output.Header();
        _nextIndex = run.StartIndex;
        _succeeded = run.Database.Number(BatchJobKeys.RowsSucceeded);
        _failed = run.Database.Number(BatchJobKeys.RowsFailed);
        _outputBytes = run.Database.Number(BatchJobKeys.OutputBytes);
    }

    /// <summary>Completes when every thread of the run has ended.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The committed checkpoint.</summary>
    public long NextIndex => Interlocked.Read(ref _nextIndex);

    /// <summary>Rows with a result, over every run.</summary>
    public long RowsSucceeded => Interlocked.Read(ref _succeeded);

    /// <summary>Rows recorded as errors, over every run.</summary>
    public long RowsFailed => Interlocked.Read(ref _failed);

    /// <summary>Rows this run committed.</summary>
    public long RowsThisRun => Interlocked.Read(ref _rowsThisRun);

    /// <summary>Why writing the results failed (the run stopped at once); null when it did not.</summary>
    public string? OutputFailure => Volatile.Read(ref _outputFailure);

    /// <summary>Why reading the input failed (the rows read before were still written); null when it did not.</summary>
    public string? InputFailure => Volatile.Read(ref _inputFailure);

    /// <summary>Whether the caller cancelled the run.</summary>
    public bool Cancelled => _cancellation.IsCancellationRequested;

    public void Start()
    {
        _threadsLeft = _run.Parallelism + 1;
        Launch("edge-batch-read", ReadLoop);
        for (var worker = 1; worker <= _run.Parallelism; worker++)
        {
            Launch(string.Create(CultureInfo.InvariantCulture, $"edge-batch-{worker}"), WorkLoop);
        }
    }

    /// <summary>Stops the run as a cancellation would: uncommitted batches are dropped.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Returns the rows of batches that never ran; call once <see cref="Completion"/> is done.</summary>
    public void Dispose()
    {
        while (_queue.TryTake(out var batch))
        {
            batch.Dispose();
        }

        _queue.Dispose();
        _stop.Dispose();
    }

    private static void Launch(string name, Action body) => new Thread(() => body()) { Name = name, IsBackground = true }.Start();

    private void ThreadDone()
    {
        if (Interlocked.Decrement(ref _threadsLeft) == 0)
        {
            _completion.TrySetResult();
        }
    }

    private void LowerPriority()
    {
        if (!BatchThreadPriority.Lower(_nice) && Interlocked.Exchange(ref _priorityLogged, 1) == 0)
        {
            LogNiceUnavailable(_logger, _run.Id, _nice);
        }
    }

    private void ReadLoop()
    {
        PendingBatch? current = null;
        var sequence = 0L;
        try
        {
            LowerPriority();
            foreach (var row in _run.Input.Read(_run.StartIndex, _stop.Token))
            {
                if (_stop.IsCancellationRequested)
                {
                    row.Dispose();
                    break;
                }

                var error = row.Error ?? Check(row);
                if (current is not null && !current.Accepts(row, error, _run.BatchSize, _maxItems, _run.Batchable))
                {
                    Emit(current);
                    current = null;
                }

                current ??= new PendingBatch(sequence++);
                current.Add(row, error);
                if (current.GoodRows >= _run.BatchSize || current.Count >= _maxItems)
                {
                    Emit(current);
                    current = null;
                }
            }

            if (current is not null)
            {
                Emit(current);
                current = null;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The rows read so far are good: they are still run and written, so a rerun resumes after them.
            var reason = ex is BatchInputException ? ex.Message : $"reading the input failed: {ex.Message}";
            Volatile.Write(ref _inputFailure, reason);
            LogInputFailed(_logger, _run.Id, reason);
            if (current is not null && !_stop.IsCancellationRequested)
            {
                try
                {
                    Emit(current);
                    current = null;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            current?.Dispose();
            _queue.CompleteAdding();
            ThreadDone();
        }
    }

    /// <summary>Why the model cannot take <paramref name="row"/>; null when it can.</summary>
    private string? Check(BatchRow row)
    {
        try
        {
            _run.Session.Validate(new InferenceRequest { Inputs = row.Inputs });
        }
        catch (InferenceException ex)
        {
            return ex.Message;
        }

        if (_run.Batchable)
        {
            foreach (var input in row.Inputs)
            {
                if (input.Shape[0] != row.Inputs[0].Shape[0])
                {
                    return $"every input must have the same first dimension (rows); input '{input.Name}' has {input.Shape[0]}, '{row.Inputs[0].Name}' has {row.Inputs[0].Shape[0]}";
                }
            }
        }

        return null;
    }

    private void Emit(PendingBatch batch)
    {
        try
        {
            _queue.Add(batch, _stop.Token);
        }
        catch
        {
            batch.Dispose();
            throw;
        }
    }

    private void WorkLoop()
    {
        try
        {
            LowerPriority();
            foreach (var batch in _queue.GetConsumingEnumerable(_stop.Token))
            {
                BatchCompleted done;
                try
                {
                    done = Compute(batch);
                }
                finally
                {
                    batch.Dispose();
                }

                Complete(done);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Fail($"batch inference failed: {ex.Message}", ex);
        }
        finally
        {
            ThreadDone();
        }
    }

    /// <summary>
    /// Runs a batch's good rows as one stacked run; when that run fails, runs them one by one so that only the rows the
    /// model refuses become errors. Encodes every row's result or error in index order.
    /// </summary>
    private BatchCompleted Compute(PendingBatch batch)
    {
        var done = new BatchCompleted(batch.Sequence, batch.NextIndex);
        var good = batch.Good;
        var outputs = new InferenceTensor[good.Count][];
        var errors = new string?[good.Count];
        try
        {
            if (good.Count == 1)
            {
                RunAlone(good, 0, outputs, errors);
            }
            else if (good.Count > 1)
            {
                RunStacked(batch, outputs, errors);
            }

            var next = 0;
            foreach (var (row, error) in batch.Items)
            {
                if (error is not null)
                {
                    _run.Output.AddError(done, row.Index, row.Key, error);
                    continue;
                }

                var k = next++;
                if (errors[k] is { } failed)
                {
                    _run.Output.AddError(done, row.Index, row.Key, failed);
                }
                else
                {
                    _run.Output.AddResult(done, row.Index, row.Key, outputs[k]);
                }
            }

            return done;
        }
        finally
        {
            foreach (var tensors in outputs)
            {
                foreach (var tensor in tensors ?? [])
                {
                    tensor.Dispose();
                }
            }
        }
    }

    private void RunStacked(PendingBatch batch, InferenceTensor[][] outputs, string?[] errors)
    {
        var good = batch.Good;
        InferenceTensor[]? stacked = null;
        try
        {
            stacked = TensorStacking.Stack(good, static row => row.Inputs, batch.GoodRows);
            var results = _run.Session.Execute(stacked, _run.Output.OutputNames, _run.Model.Name, batch.GoodRows, _stop.Token);
            var parts = TensorStacking.Split(results, [.. good.Select(row => row.Rows)], null, _run.Model.Name);
            parts.CopyTo(outputs, 0);
            return;
        }
        catch (InferenceException ex)
        {
            LogBatchFailed(_logger, _run.Id, good[0].Index, good.Count, ex.Message);
        }
        finally
        {
            foreach (var tensor in stacked ?? [])
            {
                tensor.Dispose();
            }
        }

        for (var i = 0; i < good.Count; i++)
        {
            RunAlone(good, i, outputs, errors);
        }
    }

    private void RunAlone(List<BatchRow> good, int i, InferenceTensor[][] outputs, string?[] errors)
    {
        try
        {
            outputs[i] = _run.Session.Execute(good[i].Inputs, _run.Output.OutputNames, _run.Model.Name, Math.Max(1, good[i].Rows), _stop.Token);
        }
        catch (InferenceException ex)
        {
            errors[i] = ex.Message;
        }
    }

    /// <summary>
    /// Hands a finished batch to the commit: a batch whose turn it is not yet waits (bounded) for those before it; the
    /// thread that finds no commit under way commits every batch that is ready in order, then leaves.
    /// </summary>
    private void Complete(BatchCompleted done)
    {
        lock (_gate)
        {
            while (_ready.Count >= _maxReady && done.Sequence != _nextSequence && !_stop.IsCancellationRequested)
            {
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(200));
            }

            if (_stop.IsCancellationRequested)
            {
                // Stopping: what is not committed yet is dropped and redone by the next run.
                return;
            }

            _ready.Add(done.Sequence, done);
            if (_committing)
            {
                return;
            }

            _committing = true;
        }

        var ready = new List<BatchCompleted>();
        try
        {
            while (true)
            {
                ready.Clear();
                lock (_gate)
                {
                    while (_ready.Remove(_nextSequence, out var next))
                    {
                        ready.Add(next);
                        _nextSequence++;
                    }

                    Monitor.PulseAll(_gate);
                    if (ready.Count == 0 || _stop.IsCancellationRequested)
                    {
                        _committing = false;
                        return;
                    }
                }

                Commit(ready);
            }
        }
        catch (Exception ex) when (ex is IOException or SQLiteException or UnauthorizedAccessException)
        {
            Fail($"writing the results to {_run.OutputPath} failed: {ex.Message}", ex);
            lock (_gate)
            {
                _committing = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Writes batches and moves the checkpoint over them. CSV/JSONL: the lines are appended and flushed to disk first,
    /// then the checkpoint (with the file's new length) commits, so a crash in between leaves only a tail past the
    /// committed length, which the next run cuts off. SQLite: results, errors and checkpoint are one transaction.
    /// </summary>
    private void Commit(List<BatchCompleted> batches)
    {
        var bytes = _outputBytes;
        if (_run.Text is { } file)
        {
            if (bytes == 0 && _header.Length > 0)
            {
                file.Write(_header);
                bytes += _header.Length;
            }

            foreach (var batch in batches)
            {
                batch.Text.WriteTo(file);
                bytes += batch.Text.Length;
            }

            file.Flush(flushToDisk: true);
        }

        long succeeded = 0, failed = 0;
        foreach (var batch in batches)
        {
            succeeded += batch.Succeeded;
            failed += batch.Failed;
        }

        var next = batches[^1].NextIndex;
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [BatchJobKeys.NextIndex] = BatchJobKeys.Text(next),
            [BatchJobKeys.RowsSucceeded] = BatchJobKeys.Text(_succeeded + succeeded),
            [BatchJobKeys.RowsFailed] = BatchJobKeys.Text(_failed + failed),
        };
        if (_run.Text is not null)
        {
            values[BatchJobKeys.OutputBytes] = BatchJobKeys.Text(bytes);
        }

        _run.Database.Commit(batches, values);
        _outputBytes = bytes;
        Interlocked.Exchange(ref _nextIndex, next);
        Interlocked.Add(ref _succeeded, succeeded);
        Interlocked.Add(ref _failed, failed);
        Interlocked.Add(ref _rowsThisRun, succeeded + failed);
        _onCommitted?.Invoke(succeeded, failed);
    }

    private void Fail(string reason, Exception exception)
    {
        if (Interlocked.CompareExchange(ref _outputFailure, reason, null) is null)
        {
            LogRunFailed(_logger, _run.Id, reason, exception);
        }

        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [LoggerMessage(EventId = 1810, Level = LogLevel.Warning, Message = "Batch job {Job}: a run of {Rows} rows from index {Index} failed, running them one by one: {Reason}")]
    private static partial void LogBatchFailed(ILogger logger, string job, long index, int rows, string reason);

    [LoggerMessage(EventId = 1811, Level = LogLevel.Error, Message = "Batch job {Job} stopped: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, string job, string reason, Exception exception);

    [LoggerMessage(EventId = 1812, Level = LogLevel.Warning, Message = "Batch job {Job}: reading the input failed; the rows read before are still written: {Reason}")]
    private static partial void LogInputFailed(ILogger logger, string job, string reason);

    [LoggerMessage(EventId = 1813, Level = LogLevel.Warning, Message = "Batch job {Job}: could not set nice {Nice} on its threads; they run at below-normal .NET priority instead")]
    private static partial void LogNiceUnavailable(ILogger logger, string job, int nice);

    /// <summary>Consecutive rows the reader cut out for one run: good rows that stack, with the error rows among them.</summary>
    private sealed class PendingBatch(long sequence) : IDisposable
    {
        public long Sequence { get; } = sequence;

        /// <summary>Every row, in index order, each with its error (null for a row that runs).</summary>
        public List<(BatchRow Row, string? Error)> Items { get; } = [];

        /// <summary>The rows that run, in index order.</summary>
        public List<BatchRow> Good { get; } = [];

        /// <summary>The sum of the good rows' first dimensions.</summary>
        public int GoodRows { get; private set; }

        public int Count => Items.Count;

        /// <summary>The index after the last row: the checkpoint once the batch is committed.</summary>
        public long NextIndex => Items[^1].Row.Index + 1;

        public bool Accepts(BatchRow row, string? error, int batchSize, int maxItems, bool batchable)
        {
            if (Items.Count >= maxItems)
            {
                return false;
            }

            if (error is not null || Good.Count == 0)
            {
                return true;
            }

            return batchable && GoodRows + row.Rows <= batchSize && TensorStacking.Fits(Good[0].Inputs, row.Inputs);
        }

        public void Add(BatchRow row, string? error)
        {
            Items.Add((row, error));
            if (error is null)
            {
                Good.Add(row);
                GoodRows += row.Rows;
            }
        }

        public void Dispose()
        {
            foreach (var (row, _) in Items)
            {
                row.Dispose();
            }
        }
    }
}
