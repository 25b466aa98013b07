using System.Diagnostics;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// Triton-style dynamic batching for one model version: concurrent requests wait in a bounded queue, are
/// stacked along the first dimension into one run of up to <see cref="BatchingOptions.MaxBatchSize"/> rows,
/// and each gets back exactly its own rows. Only requests whose other dimensions match share a run.
/// </summary>
/// <remarks>
/// One run at a time: a worker is queued on the thread pool when the first request arrives and returns
/// when the queue is empty, so an idle model costs no thread. A full queue refuses with 503 and
/// <c>Retry-After</c>; a request whose caller goes away, or whose queue timeout passes, leaves the queue
/// and frees its place at once.
/// </remarks>
public sealed class DynamicBatcher : IDisposable
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly ModelSession _session;
    private readonly BatchingOptions _options;
    private readonly object _gate = new();
    private readonly List<Pending> _queue = [];
    private readonly List<Pending> _batch = [];
    private readonly string[] _allOutputs;
    private int _queued;
    private bool _draining;
    private bool _waiting;

    public DynamicBatcher(ModelSession session, BatchingOptions options)
    {
        _session = session;
        _options = options;
        _allOutputs = [.. session.OutputNames];
    }

    /// <summary>The settings this batcher runs with.</summary>
    public BatchingOptions Options => _options;

    /// <summary>Requests waiting now.</summary>
    public int QueuedCount => Volatile.Read(ref _queued);

    /// <summary>
    /// Queues <paramref name="request"/> and returns its response once its batch has run. The response's
    /// outputs may share the batch's memory; disposing the response returns its share.
    /// </summary>
    /// <exception cref="InferenceException">BadRequest when the request does not fit; Unavailable when the queue is full or the timeout passed.</exception>
    public async Task<InferenceResponse> InferAsync(InferenceRequest request, string modelName, CancellationToken cancellationToken = default)
    {
        var outputNames = _session.Validate(request);
        var rows = _options.RowsOf(request);
        var timeout = _options.TimeoutFor(request);
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new Pending(this, request, modelName, outputNames, rows, timeout);
        Enqueue(pending);
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((Pending)state!).TryWithdraw(() => new OperationCanceledException(token)), pending)
            : default;
        if (timeout is not { } limit)
        {
            return await pending.Completion.Task.ConfigureAwait(false);
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(limit, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Still queued: leave and say so. Already running: its answer is moments away, take it.
            pending.TryWithdraw(() => TimedOut(limit));
            return await pending.Completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Nothing to release: every queued request holds a lease on the session, so it drains before the session closes.</summary>
    public void Dispose()
    {
    }

    private static InferenceException TimedOut(TimeSpan limit) =>
        new(InferenceErrorKind.Unavailable, $"the request waited {limit.TotalMicroseconds:F0} µs in the batch queue without running (its timeout)") { RetryAfter = RetryAfter };

    private void Enqueue(Pending pending)
    {
        var start = false;
        lock (_gate)
        {
            if (_queued >= _options.MaxQueueSize)
            {
                throw new InferenceException(
                    InferenceErrorKind.Unavailable,
                    $"model '{pending.ModelName}' version {_session.Version} has {_queued} requests queued, its max_queue_size; retry shortly")
                { RetryAfter = RetryAfter };
            }

            _queue.Add(pending);
            _queued++;
            _session.Statistics.AddPending(1);
            if (!_draining)
            {
                _draining = true;
                start = true;
            }
            else if (_waiting)
            {
                Monitor.Pulse(_gate);
            }
        }

        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static batcher => batcher.Drain(), this, preferLocal: false);
        }
    }

    /// <summary>Called with the gate not held when a queued request leaves without running.</summary>
    private void OnWithdrawn()
    {
        lock (_gate)
        {
            _queued--;
            if (_waiting)
            {
                // The worker may be waiting out this request's delay; let it look again.
                Monitor.Pulse(_gate);
            }
        }

        _session.Statistics.AddPending(-1);
    }

    private void Drain()
    {
        while (TakeBatch())
        {
            Run();
            _batch.Clear();
        }
    }

    /// <summary>Waits for a batch to be due and moves it from the queue to <see cref="_batch"/>; false when the queue is empty.</summary>
    private bool TakeBatch()
    {
        lock (_gate)
        {
            while (true)
            {
                _queue.RemoveAll(static p => !p.IsQueued);
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return false;
                }

                var first = _queue[0];
                var rows = 0;
                foreach (var candidate in _queue)
                {
                    if (rows + candidate.Rows <= _options.MaxBatchSize && candidate.FitsWith(first))
                    {
                        rows += candidate.Rows;
                    }
                }

                var target = _options.MaxBatchSize;
                foreach (var preferred in _options.PreferredBatchSizes)
                {
                    if (preferred <= rows)
                    {
                        target = preferred;
                        break;
                    }
                }

                var waited = Stopwatch.GetElapsedTime(first.Enqueued);
                var due = rows >= target || waited >= _options.MaxQueueDelay;
                if (!due)
                {
                    WaitForArrival(_options.MaxQueueDelay - waited);
                    continue;
                }

                var taken = 0;
                foreach (var candidate in _queue)
                {
                    if (taken + candidate.Rows <= target && candidate.FitsWith(first) && candidate.TryTake())
                    {
                        taken += candidate.Rows;
                        _batch.Add(candidate);
                    }
                }

                if (_batch.Count == 0)
                {
                    // The first one was withdrawn between the scan and the take; look again.
                    continue;
                }

                _queued -= _batch.Count;
                _session.Statistics.AddPending(-_batch.Count);
                _queue.RemoveAll(static p => !p.IsQueued);
                return true;
            }
        }
    }

    /// <summary>Waits (gate held) until a request arrives or <paramref name="remaining"/> passes.</summary>
    private void WaitForArrival(TimeSpan remaining)
    {
        // Monitor.Wait sleeps in whole milliseconds; the last stretch of a sub-millisecond delay yields instead.
        if (remaining > TimeSpan.FromMilliseconds(2))
        {
            _waiting = true;
            Monitor.Wait(_gate, remaining - TimeSpan.FromMilliseconds(1));
            _waiting = false;
            return;
        }

        Monitor.Exit(_gate);
        try
        {
            Thread.Yield();
        }
        finally
        {
            Monitor.Enter(_gate);
        }
    }

    private void Run()
    {
        foreach (var pending in _batch)
        {
            _session.Statistics.RecordQueued(pending.Enqueued);
        }

        if (_batch.Count == 1)
        {
            RunAlone(_batch[0]);
            return;
        }

        InferenceTensor[]? stacked = null;
        InferenceTensor[] outputs;
        var rows = 0;
        try
        {
            foreach (var pending in _batch)
            {
                rows += pending.Rows;
            }

            stacked = Stack(rows);
            outputs = _session.Execute(stacked, _allOutputs, _batch[0].ModelName, rows, CancellationToken.None);
        }
        catch (Exception ex)
        {
            foreach (var pending in _batch)
            {
                pending.Completion.TrySetException(ex);
            }

            return;
        }
        finally
        {
            foreach (var tensor in stacked ?? [])
            {
                tensor.Dispose();
            }
        }

        Split(outputs);
    }

    private void RunAlone(Pending pending)
    {
        try
        {
            var outputs = _session.Execute(pending.Request.Inputs, pending.OutputNames, pending.ModelName, pending.Rows, CancellationToken.None);
            pending.Completion.TrySetResult(pending.Respond(_session.Version, outputs));
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    /// <summary>Stacks the batch's inputs along the first dimension, in queue order, into pooled buffers.</summary>
    private InferenceTensor[] Stack(int rows) => TensorStacking.Stack(_batch, static pending => pending.Request.Inputs, rows);

    /// <summary>Hands each request its own rows of the batch's outputs, as views of the batch's memory.</summary>
    private void Split(InferenceTensor[] outputs)
    {
        InferenceTensor[][] parts;
        try
        {
            // The run's outputs are the session's, in its order, named as each request names them.
            parts = TensorStacking.Split(outputs, _batch, static pending => pending.Rows, static pending => pending.OutputNames, _batch[0].ModelName);
        }
        catch (Exception ex)
        {
            foreach (var pending in _batch)
            {
                pending.Completion.TrySetException(ex);
            }

            return;
        }

        for (var p = 0; p < _batch.Count; p++)
        {
            _batch[p].Completion.TrySetResult(_batch[p].Respond(_session.Version, parts[p]));
        }
    }

    /// <summary>A queued request and the promise of its response.</summary>
    private sealed class Pending(DynamicBatcher batcher, InferenceRequest request, string modelName, string[] outputNames, int rows, TimeSpan? timeout)
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Withdrawn = 2;

        private int _state;

        public InferenceRequest Request { get; } = request;

        public string ModelName { get; } = modelName;

        public string[] OutputNames { get; } = outputNames;

        public int Rows { get; } = rows;

        public long Enqueued { get; } = Stopwatch.GetTimestamp();

        public TaskCompletionSource<InferenceResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsQueued => Volatile.Read(ref _state) == Queued;

        public bool TryTake()
        {
            if (timeout is { } limit && Stopwatch.GetElapsedTime(Enqueued) > limit)
            {
                TryWithdrawLocked(() => TimedOut(limit));
                return false;
            }

            return Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;
        }

        /// <summary>Leaves the queue if still in it, failing the request with <paramref name="reason"/>.</summary>
        public void TryWithdraw(Func<Exception> reason)
        {
            if (Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued)
            {
                batcher.OnWithdrawn();
                Completion.TrySetException(reason());
            }
        }

        /// <summary>Whether this request's inputs have the same datatypes and non-batch dimensions as <paramref name="other"/>'s.</summary>
        public bool FitsWith(Pending other) => ReferenceEquals(this, other) || TensorStacking.Fits(Request.Inputs, other.Request.Inputs);

        public InferenceResponse Respond(string version, InferenceTensor[] outputs) => new()
        {
            ModelName = ModelName,
            ModelVersion = version,
            Id = Request.Id,
            Parameters = Request.Parameters,
            Outputs = outputs,
        };

        /// <summary>As <see cref="TryWithdraw"/>, from the worker that holds the gate (the count is adjusted there).</summary>
        private void TryWithdrawLocked(Func<Exception> reason)
        {
            if (Interlocked.CompareExchange(ref _state, Withdrawn, Queued) == Queued)
            {
                batcher._queued--;
                batcher._session.Statistics.AddPending(-1);
                Completion.TrySetException(reason());
            }
        }
    }
}
