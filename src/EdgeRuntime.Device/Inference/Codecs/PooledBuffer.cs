using System.Buffers;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}.Shared"/>; the owner a decoded tensor holds,
/// giving the array back when the tensor is disposed.
/// </summary>
internal sealed class PooledBuffer : IDisposable
{
    private byte[]? _array;
    private int _length;

    public PooledBuffer(int capacity)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
    }

    /// <summary>The bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The written bytes; valid until the buffer is disposed.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => Array.AsMemory(0, _length);

    private byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBuffer));

    /// <summary>Room for at least <paramref name="size"/> more bytes, after what is written.</summary>
    public Span<byte> GetSpan(int size)
    {
        var array = Array;
        if (array.Length - _length < size)
        {
            var needed = (long)_length + size;
            if (needed > System.Array.MaxLength)
            {
                throw InferenceException.BadRequest($"tensor data of {needed} bytes is larger than the {System.Array.MaxLength}-byte limit");
            }

            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, 2L * array.Length), System.Array.MaxLength));
            array.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(array);
            _array = grown;
            array = grown;
        }

        return array.AsSpan(_length, size);
    }

    /// <summary>Marks <paramref name="count"/> more bytes as written.</summary>
    public void Advance(int count) => _length += count;

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
