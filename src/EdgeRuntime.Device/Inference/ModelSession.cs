using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using EdgeRuntime.Contracts.Models;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// One loaded model version: a thread-safe ONNX Runtime session plus what the API says about it. Callers
/// hold a lease (<see cref="TryAcquire"/>/<see cref="Release"/>) while they use it, so an unload or a
/// reload retires the session without failing requests already running on it.
/// </summary>
public sealed class ModelSession : IDisposable
{
    private static readonly byte[] EmptyPinned = GC.AllocateArray<byte>(1, pinned: true);
    private static long _loadCount;

    [ThreadStatic]
    private static RunOptions? _threadRunOptions;

    private readonly InferenceSession _session;
    private readonly Dictionary<string, TensorMetadata> _outputsByName;
    private readonly string[] _allOutputNames;
    private int _leases = 1;
    private readonly int _defaultConcurrentRuns;
    private readonly List<IDisposable> _attachments = [];
    private IDisposable[] _attachmentsSnapshot = [];
    private ModelConfig? _config;
    private SemaphoreSlim _runGate;

    internal ModelSession(
        string name,
        string version,
        InferenceSession session,
        string executionProvider,
        IReadOnlyList<ProviderAttempt> skippedProviders,
        IReadOnlyDictionary<string, string> properties,
        int defaultConcurrentRuns = 1)
    {
        Name = name;
        Version = version;
        _session = session;
        ExecutionProvider = executionProvider;
        SkippedProviders = skippedProviders;
        Properties = properties;
        Inputs = Describe(session.InputMetadata, "input");
        Outputs = Describe(session.OutputMetadata, "output");
        _outputsByName = Outputs.ToDictionary(o => o.Name);
        _allOutputNames = [.. Outputs.Select(o => o.Name)];
        _defaultConcurrentRuns = Math.Max(1, defaultConcurrentRuns);
        _runGate = new SemaphoreSlim(_defaultConcurrentRuns, _defaultConcurrentRuns);
        MaxConcurrentRuns = _defaultConcurrentRuns;
    }

    public string Name { get; }

    public string Version { get; }

    public IReadOnlyList<TensorMetadata> Inputs { get; }

    public IReadOnlyList<TensorMetadata> Outputs { get; }

    /// <summary>The provider the session was created with, e.g. <c>CPU</c> or <c>CUDA</c>.</summary>
    public string ExecutionProvider { get; }

    /// <summary>Providers the profile preferred over <see cref="ExecutionProvider"/>, with the reason each was passed over.</summary>
    public IReadOnlyList<ProviderAttempt> SkippedProviders { get; }

    /// <summary>Facts for the metadata's <c>parameters</c>: quantization, cache use, description.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>The model's configuration (batching, caching, concurrency) as it was when this version loaded.</summary>
    public ModelConfig? Config
    {
        get => _config;
        internal set
        {
            _config = value;
            var runs = value?.InstanceGroup is [{ Count: > 0 and var count }, ..] ? count : _defaultConcurrentRuns;
            _runGate = new SemaphoreSlim(runs, runs);
            MaxConcurrentRuns = runs;
        }
    }

    /// <summary>How many runs of this session may execute at once (see <see cref="RunAsync"/>).</summary>
    public int MaxConcurrentRuns { get; private set; }

    /// <summary>Unique to this load in this process: a reload of the same version gets a new one.</summary>
    public long LoadId { get; } = Interlocked.Increment(ref _loadCount);

    /// <summary>The version's <c>manifest.json</c>, when it has one (description, labels, drift baseline).</summary>
    public ModelManifest? Manifest { get; internal set; }

    /// <summary>Counters since this version loaded.</summary>
    public ModelStatistics Statistics { get; } = new();

    /// <summary>Every output of the model, in the model's order.</summary>
    public IReadOnlyList<string> OutputNames => _allOutputNames;

    /// <summary>
    /// Returns the per-session state of type <typeparamref name="T"/> (a batcher, a drift monitor, metric
    /// series) attached to this session, creating it on first use; it is disposed when the session closes.
    /// </summary>
    public T GetOrAttach<T>(Func<ModelSession, T> create)
        where T : class, IDisposable
    {
        ArgumentNullException.ThrowIfNull(create);
        if (Find<T>() is { } existing)
        {
            return existing;
        }

        var created = create(this);
        lock (_attachments)
        {
            if (Find<T>() is { } raced)
            {
                created.Dispose();
                return raced;
            }

            if (Volatile.Read(ref _leases) <= 0)
            {
                // The session closed while this was being created: nothing would dispose it later.
                created.Dispose();
                throw new ObjectDisposedException(nameof(ModelSession), $"model '{Name}' version {Version} was unloaded");
            }

            _attachments.Add(created);
            Volatile.Write(ref _attachmentsSnapshot, [.. _attachments]);
        }

        return created;
    }

    /// <summary>The attachment of type <typeparamref name="T"/>, or null when none was attached.</summary>
    public T? Find<T>()
        where T : class, IDisposable
    {
        foreach (var attachment in Volatile.Read(ref _attachmentsSnapshot))
        {
            if (attachment is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Takes a lease; false once the session is retired and draining.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _leases);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _leases, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Returns a lease; the last one out of a retired session closes it.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            IDisposable[] attachments;
            lock (_attachments)
            {
                attachments = [.. _attachments];
                _attachments.Clear();
                Volatile.Write(ref _attachmentsSnapshot, []);
            }

            foreach (var attachment in attachments)
            {
                attachment.Dispose();
            }

            _session.Dispose();
        }
    }

    /// <summary>Stops new leases; the session closes when the last running request returns its lease.</summary>
    public void Dispose() => Release();

    /// <summary>Checks the request against the model, runs it and returns the outputs asked for.</summary>
    /// <exception cref="InferenceException">BadRequest when the request does not fit the model, Internal when ONNX Runtime fails.</exception>
    public InferenceResponse Run(InferenceRequest request, string modelName, CancellationToken cancellationToken = default)
    {
        var outputNames = Validate(request);
        return new InferenceResponse
        {
            ModelName = modelName,
            ModelVersion = Version,
            Id = request.Id,
            Parameters = request.Parameters,
            Outputs = Execute(request.Inputs, outputNames, modelName, batchSize: 1, cancellationToken),
        };
    }

    /// <summary>
    /// As <see cref="Run"/>, but at most <see cref="MaxConcurrentRuns"/> at once: the others wait their
    /// turn asynchronously, holding no thread, and leave when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async ValueTask<InferenceResponse> RunAsync(InferenceRequest request, string modelName, CancellationToken cancellationToken = default)
    {
        var gate = _runGate;
        if (!gate.Wait(0, CancellationToken.None))
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return Run(request, modelName, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Checks that <paramref name="request"/> fits the model (names, datatypes, shapes) and returns the
    /// outputs to compute, in the order asked for.
    /// </summary>
    /// <exception cref="InferenceException">BadRequest, naming what does not fit.</exception>
    public string[] Validate(InferenceRequest request)
    {
        var outputNames = ResolveOutputs(request);
        if (InputCheck.Problem(request.Inputs, Inputs, Name) is { } problem)
        {
            throw InferenceException.BadRequest(problem);
        }

        return outputNames;
    }

    /// <summary>
    /// Runs already validated inputs and returns <paramref name="outputNames"/>'s tensors, which live in
    /// ONNX Runtime's memory until disposed. <paramref name="batchSize"/> is the number of requests' rows
    /// the run carries, for the statistics.
    /// </summary>
    internal InferenceTensor[] Execute(IReadOnlyList<InferenceTensor> inputs, string[] outputNames, string modelName, int batchSize, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var inputNames = new string[inputs.Count];
        var inputValues = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        var created = 0;
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                inputNames[i] = input.Name;
                inputValues[i] = ToOrtValue(input, out pins[i]);
                created++;
            }

            var inferStart = Stopwatch.GetTimestamp();
            IDisposableReadOnlyCollection<OrtValue> results;

            // A thread runs one run at a time, so its RunOptions is reused; Terminate is reset after the
            // registration is gone (disposing it waits out a callback in flight).
            var runOptions = _threadRunOptions ??= new RunOptions();
            try
            {
                using var registration = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
                try
                {
                    results = _session.Run(runOptions, inputNames, inputValues, outputNames);
                }
                catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException("the caller went away", ex, cancellationToken);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new InferenceException(InferenceErrorKind.Internal, $"ONNX Runtime failed to run model '{modelName}' version {Version}: {ex.Message}", ex);
                }
            }
            finally
            {
                if (cancellationToken.CanBeCanceled)
                {
                    runOptions.Terminate = false;
                }
            }

            var outputStart = Stopwatch.GetTimestamp();
            var tensors = ToTensors(outputNames, results);
            var end = Stopwatch.GetTimestamp();
            Statistics.RecordExecution(batchSize, Nanoseconds(start, inferStart), Nanoseconds(inferStart, outputStart), Nanoseconds(outputStart, end));
            return tensors;
        }
        finally
        {
            for (var i = 0; i < created; i++)
            {
                inputValues[i].Dispose();
                pins[i].Dispose();
            }
        }
    }

    private static long Nanoseconds(long from, long to) => (long)((to - from) * (1_000_000_000.0 / Stopwatch.Frequency));

    private string[] ResolveOutputs(InferenceRequest request)
    {
        if (request.Outputs is not { Count: > 0 } requested)
        {
            return _allOutputNames;
        }

        var names = new string[requested.Count];
        for (var i = 0; i < requested.Count; i++)
        {
            var name = requested[i].Name;
            if (!_outputsByName.ContainsKey(name))
            {
                throw InferenceException.BadRequest($"unknown output '{name}'; model '{Name}' has outputs {string.Join(", ", _allOutputNames.Select(n => $"'{n}'"))}");
            }

            if (Array.IndexOf(names, name, 0, i) >= 0)
            {
                throw InferenceException.BadRequest($"output '{name}' is requested twice");
            }

            names[i] = name;
        }

        return names;
    }

    private static unsafe OrtValue ToOrtValue(InferenceTensor tensor, out MemoryHandle pin)
    {
        if (tensor.DataType == TensorDataType.Bytes)
        {
            pin = default;
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, tensor.Shape);
            try
            {
                var data = tensor.Data.Span;
                var offset = 0;
                for (var i = 0; offset < data.Length; i++)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
                    value.StringTensorSetElementAt(data.Slice(offset + 4, length), i);
                    offset += 4 + length;
                }

                return value;
            }
            catch
            {
                value.Dispose();
                throw;
            }
        }

        // The caller's buffer (pooled array or the request body itself) is pinned and handed to ONNX Runtime as is.
        pin = tensor.Data.Length > 0 ? tensor.Data.Pin() : EmptyPinned.AsMemory().Pin();
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance,
            tensor.DataType.ToOrt(),
            tensor.Shape,
            (IntPtr)pin.Pointer,
            tensor.Data.Length);
    }

    private static unsafe InferenceTensor[] ToTensors(string[] names, IDisposableReadOnlyCollection<OrtValue> results)
    {
        var tensors = new InferenceTensor[names.Length];
        var index = 0;
        try
        {
            foreach (var value in results)
            {
                var name = names[index];
                if (!value.IsTensor)
                {
                    throw new InferenceException(InferenceErrorKind.Internal, $"output '{name}' is a {value.OnnxType}, which the protocol cannot carry");
                }

                var info = value.GetTensorTypeAndShape();
                if (!TensorDataTypes.TryFromOrt(info.ElementDataType, out var dataType))
                {
                    throw new InferenceException(InferenceErrorKind.Internal, $"output '{name}' has element type {info.ElementDataType}, which the protocol cannot carry");
                }

                if (dataType == TensorDataType.Bytes)
                {
                    tensors[index] = CopyStrings(name, info.Shape, value, checked((int)info.ElementCount));
                    value.Dispose();
                }
                else
                {
                    // The output stays in ONNX Runtime's buffer; the tensor disposes the OrtValue when the response is written.
                    var raw = value.GetTensorMutableRawData();
                    fixed (byte* pointer = raw)
                    {
                        var memory = new NativeMemoryManager(pointer, raw.Length).Memory;
                        tensors[index] = new InferenceTensor(name, dataType, info.Shape, memory, value);
                    }
                }

                index++;
            }

            return tensors;
        }
        catch
        {
            foreach (var tensor in tensors)
            {
                tensor?.Dispose();
            }

            foreach (var value in results.Skip(index))
            {
                value.Dispose();
            }

            throw;
        }
    }

    private static InferenceTensor CopyStrings(string name, long[] shape, OrtValue value, int count)
    {
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            total += 4 + value.GetStringElementAsSpan(i).Length;
        }

        var buffer = new PooledBuffer(total);
        for (var i = 0; i < count; i++)
        {
            var element = value.GetStringElementAsSpan(i);
            var room = buffer.GetSpan(4 + element.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(room, (uint)element.Length);
            element.CopyTo(room[4..]);
            buffer.Advance(4 + element.Length);
        }

        return new InferenceTensor(name, TensorDataType.Bytes, shape, buffer.WrittenMemory, buffer);
    }

    private static TensorMetadata[] Describe(IReadOnlyDictionary<string, NodeMetadata> nodes, string kind)
    {
        var described = new List<TensorMetadata>(nodes.Count);
        foreach (var (name, node) in nodes)
        {
            if (!node.IsTensor || !TensorDataTypes.TryFromOrt(node.ElementDataType, out var dataType))
            {
                throw new InvalidDataException($"{kind} '{name}' is a {node.OnnxValueType} of {node.ElementDataType}, which the Open Inference Protocol cannot carry");
            }

            described.Add(new TensorMetadata(name, dataType, [.. node.Dimensions.Select(d => (long)d)]));
        }

        return [.. described];
    }
}
