using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// Answers repeated identical requests without running the model. Keyed by a SHA-256 of the loaded model
/// version, every input (name, datatype, shape, bytes) and the outputs asked for, so a reload or a new
/// version never sees another's answers. Holds at most <see cref="ResponseCacheOptions.MaxBytes"/> of
/// outputs, evicting the least recently used first, and optionally forgets answers after a TTL.
/// </summary>
public sealed class ResponseCache
{
    // Bookkeeping per entry and per tensor, counted against the budget with the output bytes.
    private const int EntryOverhead = 160;
    private const int TensorOverhead = 96;

    [ThreadStatic]
    private static IncrementalHash? _threadHash;

    private readonly object _gate = new();
    private readonly Dictionary<CacheKey, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recent = new();
    private readonly long _maxBytes;
    private readonly long _ttlTicks;
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _evictions;

    public ResponseCache(IOptions<ResponseCacheOptions> options)
    {
        _maxBytes = options.Value.MaxBytes;
        _ttlTicks = (long)(options.Value.TtlSeconds * Stopwatch.Frequency);
    }

    /// <summary>Device-wide figures: entries, bytes held, hits, misses, evictions.</summary>
    public ResponseCacheStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new ResponseCacheStatistics(_entries.Count, _bytes, _maxBytes, _hits, _misses, _evictions);
            }
        }
    }

    /// <summary>Whether answers of <paramref name="session"/> are cached: the cache is on and the model opted in.</summary>
    public bool IsEnabledFor(ModelSession session) => _maxBytes > 0 && session.Config?.ResponseCache?.Enable == true;

    /// <summary>The key of a validated request: the loaded version, the inputs and the outputs asked for.</summary>
    public static CacheKey KeyOf(ModelSession session, InferenceRequest request, string[] outputNames)
    {
        var hash = _threadHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        AppendText(hash, session.Name);
        AppendText(hash, session.Version);
        AppendNumber(hash, number, session.LoadId);
        AppendNumber(hash, number, request.Inputs.Count);
        foreach (var input in request.Inputs)
        {
            AppendText(hash, input.Name);
            AppendNumber(hash, number, (long)input.DataType);
            AppendNumber(hash, number, input.Shape.Length);
            foreach (var dim in input.Shape)
            {
                AppendNumber(hash, number, dim);
            }

            AppendNumber(hash, number, input.Data.Length);
            hash.AppendData(input.Data.Span);
        }

        AppendNumber(hash, number, outputNames.Length);
        foreach (var name in outputNames)
        {
            AppendText(hash, name);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return new CacheKey(
            BinaryPrimitives.ReadUInt64LittleEndian(digest),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(digest[24..]));
    }

    /// <summary>The cached answer for <paramref name="key"/>, as a response to <paramref name="request"/>; null on a miss.</summary>
    public InferenceResponse? TryGet(CacheKey key, string modelName, string version, InferenceRequest request)
    {
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var node) || IsExpired(node.Value))
            {
                if (node is not null)
                {
                    Remove(node);
                }

                _misses++;
                return null;
            }

            _hits++;
            _recent.Remove(node);
            _recent.AddFirst(node);
            entry = node.Value;
        }

        var outputs = new InferenceTensor[entry.Outputs.Length];
        for (var i = 0; i < outputs.Length; i++)
        {
            var cached = entry.Outputs[i];
            outputs[i] = new InferenceTensor(cached.Name, cached.DataType, cached.Shape, cached.Data);
        }

        return new InferenceResponse
        {
            ModelName = modelName,
            ModelVersion = version,
            Id = request.Id,
            Parameters = request.Parameters,
            Outputs = outputs,
        };
    }

    /// <summary>Keeps a copy of <paramref name="response"/>'s outputs under <paramref name="key"/>, evicting as the budget needs.</summary>
    public void Add(CacheKey key, InferenceResponse response)
    {
        long size = EntryOverhead;
        foreach (var output in response.Outputs)
        {
            size += TensorOverhead + output.Data.Length + (8 * output.Shape.Length);
        }

        if (size > _maxBytes)
        {
            return;
        }

        var outputs = new CachedTensor[response.Outputs.Count];
        for (var i = 0; i < outputs.Length; i++)
        {
            var output = response.Outputs[i];
            outputs[i] = new CachedTensor(output.Name, output.DataType, [.. output.Shape], output.Data.ToArray());
        }

        var entry = new Entry(key, outputs, size, _ttlTicks > 0 ? Stopwatch.GetTimestamp() + _ttlTicks : long.MaxValue);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                Remove(existing);
            }

            while (_bytes + size > _maxBytes && _recent.Last is { } oldest)
            {
                Remove(oldest);
                _evictions++;
            }

            _entries[key] = _recent.AddFirst(entry);
            _bytes += size;
        }
    }

    private static bool IsExpired(Entry entry) => Stopwatch.GetTimestamp() > entry.Expires;

    private static void AppendText(IncrementalHash hash, string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(text.Length) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static void AppendNumber(IncrementalHash hash, Span<byte> scratch, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(scratch, value);
        hash.AppendData(scratch);
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recent.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Size;
    }

    private sealed record CachedTensor(string Name, TensorDataType DataType, long[] Shape, byte[] Data);

    private sealed record Entry(CacheKey Key, CachedTensor[] Outputs, long Size, long Expires);
}
