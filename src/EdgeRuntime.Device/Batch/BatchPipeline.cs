using System.Collections.Concurrent;
using System.Globalization;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Logging;
using SQLite;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// One run of a batch job on dedicated, lowered-priority threads: a reader (<c>edge-batch-read</c>) cuts the input
/// into batches of rows that stack, a bounded queue hands them to the workers (<c>edge-batch-1</c>…), each of which
/// runs a batch on its own thread (the job's session has one intra-op thread, so the run computes right there), and a
/// writer (<c>edge-batch-out</c>) encodes and commits the finished batches strictly in input order — a batch that
/// finishes early waits, within a bound, for the ones before it — each commit moving the checkpoint over exactly the
/// rows it wrote. The workers only compute: encoding and SQLite cost about as much as a small model's run, and on their
/// own thread they overlap with it.
/// </summary>
/// <remarks>
/// The threads reach the rest of the process only through synchronous means — fields the runner's loop polls
/// (<see cref="IsCompleted"/>, the counts, a stop they ask for), monitors and blocking collections among themselves.
/// They complete no task, cancel no token and queue no work: on Linux a thread inherits the nice value of the thread
/// that creates it, and the thread pool may create a worker on the thread that queues work, which would then serve
/// online requests niced for the rest of the process's life.
/// </remarks>
internal sealed partial class BatchPipeline : IDisposable
{
    /// <summary>Input bytes one batch may hold by default: a batch is cut there (a single larger row still runs, alone).</summary>
    internal const long DefaultMaxBatchBytes = 64L << 20;

    /// <summary>Input bytes the batches waiting for a worker may hold together by default; one batch may always wait.</summary>
    internal const long DefaultMaxQueuedBytes = 256L << 20;

    private readonly BatchRun _run;
    private readonly int _nice;
    private readonly bool _idle;
    private readonly ILogger _logger;
    private readonly Action<long, long>? _onCommitted;
    private readonly CancellationToken _cancellation;
    private readonly CancellationTokenSource _stop;
    private readonly BlockingCollection<PendingBatch> _queue;
    private readonly object _gate = new();
    private readonly object _queueGate = new();
    private readonly Dictionary<long, ComputedBatch> _ready = [];
    private readonly int _maxReady;
    private readonly int _maxItems;
    private readonly long _maxBatchBytes;
    private readonly long _maxQueuedBytes;
    private readonly byte[] _header;
    private long _nextSequence;
    private int _workersLeft;
    private int _threadsLeft = -1;
    private int _priorityLogged;
    private volatile bool _halted;
    private volatile bool _stackingOff;
    private int _stackingStopLogged;
    private bool _stackingOffCommitted;
    private long _queuedBytes;
    private string? _outputFailure;
    private string? _inputFailure;
    private long _nextIndex;
    private long _succeeded;
    private long _failed;
    private long _outputBytes;
    private long _rowsThisRun;

    /// <summary>
    /// A run of <paramref name="run"/>; <paramref name="onCommitted"/> is told the rows each commit wrote, succeeded and
    /// failed (the host's metrics). A batch holds at most <paramref name="maxBatchBytes"/> of input, the queue to the
    /// workers at most <paramref name="maxQueuedBytes"/>.
    /// </summary>
    public BatchPipeline(
        BatchRun run,
        int nice,
        bool idle,
        ILogger logger,
        Action<long, long>? onCommitted,
        CancellationToken cancellationToken,
        long maxBatchBytes = DefaultMaxBatchBytes,
        long maxQueuedBytes = DefaultMaxQueuedBytes)
    {
        _maxBatchBytes = maxBatchBytes;
        _maxQueuedBytes = maxQueuedBytes;
        _run = run;
        _nice = nice;
        _idle = idle;
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

    /// <summary>Whether every thread of the run has ended (after <see cref="Start"/>).</summary>
    public bool IsCompleted => Volatile.Read(ref _threadsLeft) == 0;

    /// <summary>Rows per run: the job's, or 1 once a run showed that the model's rows cannot be stacked.</summary>
    public int BatchSize => _stackingOff ? 1 : _run.BatchSize;

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

    /// <summary>Whether the run is stopping: cancelled, stopped, or halted by a thread that failed.</summary>
    private bool Stopping => _halted || _stop.IsCancellationRequested;

    public void Start()
    {
        Volatile.Write(ref _threadsLeft, _run.Parallelism + 2);
        _workersLeft = _run.Parallelism;
        Launch("edge-batch-read", ReadLoop);
        Launch("edge-batch-out", WriteLoop);
        for (var worker = 1; worker <= _run.Parallelism; worker++)
        {
            Launch(string.Create(CultureInfo.InvariantCulture, $"edge-batch-{worker}"), WorkLoop);
        }
    }

    /// <summary>Stops the run as a cancellation would: uncommitted batches are dropped. Not for the batch threads.</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>
    /// Called now and then by the runner's own (normal-priority) loop: a stop a batch thread asked for becomes the
    /// cancellation that wakes the threads waiting on the queue or in a run. The batch threads never cancel it
    /// themselves, since a token's callbacks run on the thread that cancels it.
    /// </summary>
    public void PropagateStop()
    {
        if (_halted && !_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
    }

    /// <summary>Returns the rows of batches that never ran and the outputs of those never written; call once <see cref="IsCompleted"/>.</summary>
    public void Dispose()
    {
        while (_queue.TryTake(out var batch))
        {
            batch.Dispose();
        }

        foreach (var computed in _ready.Values)
        {
            computed.Dispose();
        }

        _ready.Clear();

        _queue.Dispose();
        _stop.Dispose();
    }

    private static void Launch(string name, Action body) => new Thread(() => body()) { Name = name, IsBackground = true }.Start();

    private void ThreadDone() => Interlocked.Decrement(ref _threadsLeft);

    private void LowerPriority()
    {
        if (!BatchThreadPriority.Lower(_nice, _idle) && Interlocked.Exchange(ref _priorityLogged, 1) == 0)
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
                if (Stopping)
                {
                    row.Dispose();
                    break;
                }

                var error = row.Error ?? Check(row);
                var batchSize = BatchSize;
                if (current is not null && !current.Accepts(row, error, batchSize, _maxItems, _maxBatchBytes, _run.Batchable))
                {
                    Emit(current);
                    current = null;
                }

                current ??= new PendingBatch(sequence++);
                current.Add(row, error);
                if (current.GoodRows >= batchSize || current.Count >= _maxItems || current.Bytes >= _maxBatchBytes)
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
        catch (OperationCanceledException) when (Stopping)
        {
        }
        catch (Exception ex)
        {
            // The rows read so far are good: they are still run and written, so a rerun resumes after them.
            var reason = ex is BatchInputException ? ex.Message : $"reading the input failed: {ex.Message}";
            Volatile.Write(ref _inputFailure, reason);
            LogInputFailed(_logger, _run.Id, reason);
            if (current is not null && !Stopping)
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

    /// <summary>
    /// Hands a batch to the workers, waiting while the queue is full: of batches (two per worker), or of input bytes
    /// (the limit given), so that rows of large tensors such as images do not pile up in memory.
    /// </summary>
    private void Emit(PendingBatch batch)
    {
        try
        {
            lock (_queueGate)
            {
                while (_queuedBytes > 0 && _queuedBytes + batch.Bytes > _maxQueuedBytes && !Stopping)
                {
                    Monitor.Wait(_queueGate, TimeSpan.FromMilliseconds(200));
                }

                if (Stopping)
                {
                    throw new OperationCanceledException("the run is stopping");
                }

                _queuedBytes += batch.Bytes;
            }

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
                lock (_queueGate)
                {
                    _queuedBytes -= batch.Bytes;
                    Monitor.PulseAll(_queueGate);
                }

                if (Stopping)
                {
                    batch.Dispose();
                    break;
                }

                ComputedBatch computed;
                try
                {
                    computed = Compute(batch);
                }
                finally
                {
                    // The inputs go back to the pool at once; the writer needs only the rows' indexes and keys.
                    batch.Dispose();
                }

                Hand(computed);
            }
        }
        catch (OperationCanceledException) when (Stopping)
        {
        }
        catch (Exception ex)
        {
            Fail($"batch inference failed: {ex.Message}", ex);
        }
        finally
        {
            lock (_gate)
            {
                _workersLeft--;
                Monitor.PulseAll(_gate);
            }

            ThreadDone();
        }
    }

    /// <summary>
    /// Runs a batch's good rows as one stacked run; when that run fails, runs them one by one so that only the rows the
    /// model refuses become errors.
    /// </summary>
    private ComputedBatch Compute(PendingBatch batch)
    {
        var computed = new ComputedBatch(batch);
        try
        {
            if (batch.Good.Count == 1)
            {
                RunAlone(batch.Good, 0, computed.Outputs, computed.Errors);
            }
            else if (batch.Good.Count > 1)
            {
                RunStacked(batch, computed.Outputs, computed.Errors);
            }

            return computed;
        }
        catch
        {
            computed.Dispose();
            throw;
        }
    }

    /// <summary>Encodes every row's result or error, in index order, for the output.</summary>
    private BatchCompleted Encode(ComputedBatch computed)
    {
        var done = new BatchCompleted(computed.Sequence, computed.NextIndex);
        var next = 0;
        foreach (var (index, key, error) in computed.Items)
        {
            if (error is not null)
            {
                _run.Output.AddError(done, index, key, error);
                continue;
            }

            var k = next++;
            if (computed.Errors[k] is { } failed)
            {
                _run.Output.AddError(done, index, key, failed);
            }
            else
            {
                _run.Output.AddResult(done, index, key, computed.Outputs[k]);
            }
        }

        return done;
    }

    private void RunStacked(PendingBatch batch, InferenceTensor[][] outputs, string?[] errors)
    {
        if (!_stackingOff && TryRunStacked(batch, outputs))
        {
            return;
        }

        for (var i = 0; i < batch.Good.Count; i++)
        {
            RunAlone(batch.Good, i, outputs, errors);
        }
    }

    /// <summary>
    /// Runs a batch's good rows as one stacked run and splits the outputs back into rows; false when the run failed, or
    /// when an output's first dimension is not the run's rows — the model's rows are not independent, so stacking stops
    /// for the rest of the job.
    /// </summary>
    private bool TryRunStacked(PendingBatch batch, InferenceTensor[][] outputs)
    {
        var good = batch.Good;
        InferenceTensor[]? stacked = null;
        InferenceTensor[]? results = null;
        try
        {
            stacked = TensorStacking.Stack(good, static row => row.Inputs, batch.GoodRows);
            results = _run.Session.Execute(stacked, _run.Output.OutputNames, _run.Model.Name, batch.GoodRows, _stop.Token);
            if (results.FirstOrDefault(output => output.Shape.Length == 0 || output.Shape[0] != batch.GoodRows) is { } unbatched)
            {
                StopStacking(unbatched, batch.GoodRows);
                return false;
            }

            // The split owns the run's outputs from here, and disposes them itself when it throws.
            var owned = results;
            results = null;
            TensorStacking.Split(owned, good, static row => row.Rows, static _ => null, _run.Model.Name).CopyTo(outputs, 0);
            return true;
        }
        catch (InferenceException ex)
        {
            LogBatchFailed(_logger, _run.Id, good[0].Index, good.Count, ex.Message);
            return false;
        }
        finally
        {
            foreach (var tensor in (stacked ?? []).Concat(results ?? []))
            {
                tensor.Dispose();
            }
        }
    }

    private void StopStacking(InferenceTensor output, int rows)
    {
        _stackingOff = true;
        if (Interlocked.Exchange(ref _stackingStopLogged, 1) == 0)
        {
            LogStackingStopped(_logger, _run.Id, output.Name, InferenceTensor.FormatShape(output.Shape), rows);
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
    /// Hands a computed batch to the writer: a batch whose turn it is not yet waits (bounded) while too many others wait
    /// for theirs, so that memory stays bounded behind a slow batch or a slow disk.
    /// </summary>
    private void Hand(ComputedBatch computed)
    {
        lock (_gate)
        {
            while (_ready.Count >= _maxReady && computed.Sequence != _nextSequence && !Stopping)
            {
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(200));
            }

            if (!Stopping)
            {
                _ready.Add(computed.Sequence, computed);
                Monitor.PulseAll(_gate);
                return;
            }
        }

        // Stopping: what is not committed yet is dropped and redone by the next run.
        computed.Dispose();
    }

    /// <summary>
    /// The writer: takes every batch that is ready, in order, encodes it and commits it; ends once the workers have ended
    /// and nothing that is next in order is left, or at once when the run stops.
    /// </summary>
    private void WriteLoop()
    {
        var ready = new List<ComputedBatch>();
        var encoded = new List<BatchCompleted>();
        try
        {
            LowerPriority();
            while (true)
            {
                lock (_gate)
                {
                    while (!_ready.ContainsKey(_nextSequence) && _workersLeft > 0 && !Stopping)
                    {
                        Monitor.Wait(_gate, TimeSpan.FromMilliseconds(200));
                    }

                    while (!Stopping && _ready.Remove(_nextSequence, out var next))
                    {
                        ready.Add(next);
                        _nextSequence++;
                    }

                    Monitor.PulseAll(_gate);
                    if (ready.Count == 0)
                    {
                        return;
                    }
                }

                foreach (var computed in ready)
                {
                    encoded.Add(Encode(computed));
                }

                // The encoded results refer to the runs' outputs, which go back only once they are written.
                Commit(encoded);
                encoded.Clear();
                foreach (var computed in ready)
                {
                    computed.Dispose();
                }

                ready.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or SQLiteException or UnauthorizedAccessException)
        {
            Fail($"writing the results to {_run.OutputPath} failed: {ex.Message}", ex);
        }
        catch (Exception ex)
        {
            Fail($"encoding the results failed: {ex.Message}", ex);
        }
        finally
        {
            foreach (var computed in ready)
            {
                computed.Dispose();
            }

            ThreadDone();
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

        // A model whose rows proved not to stack runs the rest of the job, resumed runs included, row by row.
        var stackingOff = _stackingOff && !_stackingOffCommitted;
        if (stackingOff)
        {
            values[BatchJobKeys.BatchSize] = "1";
        }

        _run.Database.Commit(batches, values);
        _stackingOffCommitted |= stackingOff;
        _outputBytes = bytes;
        Interlocked.Exchange(ref _nextIndex, next);
        Interlocked.Add(ref _succeeded, succeeded);
        Interlocked.Add(ref _failed, failed);
        Interlocked.Add(ref _rowsThisRun, succeeded + failed);
        _onCommitted?.Invoke(succeeded, failed);
    }

    /// <summary>Stops the run from a batch thread: the others see <see cref="Stopping"/>, the runner's loop cancels the token.</summary>
    private void Fail(string reason, Exception exception)
    {
        if (Interlocked.CompareExchange(ref _outputFailure, reason, null) is null)
        {
            LogRunFailed(_logger, _run.Id, reason, exception);
        }

        _halted = true;
        foreach (var gate in new[] { _gate, _queueGate })
        {
            lock (gate)
            {
                Monitor.PulseAll(gate);
            }
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

    [LoggerMessage(EventId = 1838, Level = LogLevel.Warning, Message = "Batch job {Job}: model output '{Output}' has shape {Shape} for a run of {Rows} stacked rows, so the model's rows are not independent; the rest of the job runs row by row")]
    private static partial void LogStackingStopped(ILogger logger, string job, string output, string shape, int rows);

    /// <summary>A batch a worker ran: its rows (inputs already returned), each good row's outputs or the error its run gave.</summary>
    private sealed class ComputedBatch(PendingBatch batch) : IDisposable
    {
        public long Sequence { get; } = batch.Sequence;

        public long NextIndex { get; } = batch.NextIndex;

        /// <summary>
        /// Every row, in index order, each with the error it was read with (null for a row that ran): only index and key,
        /// so that the rows' input buffers can go as soon as the run is done.
        /// </summary>
        public (long Index, string Key, string? Error)[] Items { get; } = [.. batch.Items.Select(item => (item.Row.Index, item.Row.Key, item.Error))];

        /// <summary>Per good row, in order: its outputs (views of the run's outputs), or null when its run failed.</summary>
        public InferenceTensor[][] Outputs { get; } = new InferenceTensor[batch.Good.Count][];

        /// <summary>Per good row: why its run failed; null when it has outputs.</summary>
        public string?[] Errors { get; } = new string?[batch.Good.Count];

        public void Dispose()
        {
            foreach (var tensors in Outputs)
            {
                foreach (var tensor in tensors ?? [])
                {
                    tensor.Dispose();
                }
            }
        }
    }

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

        /// <summary>The good rows' input bytes.</summary>
        public long Bytes { get; private set; }

        public int Count => Items.Count;

        /// <summary>The index after the last row: the checkpoint once the batch is committed.</summary>
        public long NextIndex => Items[^1].Row.Index + 1;

        public bool Accepts(BatchRow row, string? error, int batchSize, int maxItems, long maxBytes, bool batchable)
        {
            if (Items.Count >= maxItems)
            {
                return false;
            }

            if (error is not null || Good.Count == 0)
            {
                return true;
            }

            return batchable && GoodRows + row.Rows <= batchSize && Bytes + InputBytes(row) <= maxBytes && TensorStacking.Fits(Good[0].Inputs, row.Inputs);
        }

        public void Add(BatchRow row, string? error)
        {
            Items.Add((row, error));
            if (error is null)
            {
                Good.Add(row);
                GoodRows += row.Rows;
                Bytes += InputBytes(row);
            }
        }

        private static long InputBytes(BatchRow row)
        {
            var bytes = 0L;
            foreach (var input in row.Inputs)
            {
                bytes += input.Data.Length;
            }

            return bytes;
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
