using System.Buffers;

namespace EdgeRuntime.Device.Inference;

/// <summary>An array rented from <see cref="ArrayPool{T}.Shared"/> that goes back when disposed.</summary>
internal sealed class PooledBuffer : IDisposable
{
    private byte[]? _array;

    public PooledBuffer(int minimumLength)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(minimumLength, 1));
    }

    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBuffer));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
