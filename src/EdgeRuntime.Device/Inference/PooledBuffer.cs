using System.Buffers;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>: request bodies, decoded tensors and
/// encoded responses are written into it, and it gives the array back when disposed (for a tensor, when the
/// tensor is).
/// </summary>
public sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[]? _array;
    private int _length;

    public PooledBuffer(int capacity = 4096)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
    }

    /// <summary>The bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The written bytes; valid until the buffer is disposed.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => Array.AsMemory(0, _length);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBuffer));

    /// <summary>Room for at least <paramref name="sizeHint"/> more bytes (at least one), after what is written.</summary>
    public Span<byte> GetSpan(int sizeHint = 0) => Grow(sizeHint).AsSpan(_length);

    /// <inheritdoc cref="GetSpan"/>
    public Memory<byte> GetMemory(int sizeHint = 0) => Grow(sizeHint).AsMemory(_length);

    /// <summary>Marks <paramref name="count"/> more bytes as written.</summary>
    public void Advance(int count)
    {
        if (count < 0 || _length + count > Array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "advanced past the end of the buffer");
        }

        _length += count;
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private byte[] Grow(int sizeHint)
    {
        var array = Array;
        var size = Math.Max(sizeHint, 1);
        if (array.Length - _length >= size)
        {
            return array;
        }

        var needed = (long)_length + size;
        if (needed > System.Array.MaxLength)
        {
            throw InferenceException.BadRequest($"data of {needed} bytes is larger than the {System.Array.MaxLength}-byte limit");
        }

        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, 2L * array.Length), System.Array.MaxLength));
        array.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(array);
        _array = grown;
        return grown;
    }
}
