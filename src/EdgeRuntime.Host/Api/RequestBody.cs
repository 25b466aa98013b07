using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Api;

/// <summary>Reads a whole request body into one pooled buffer, enforcing the configured size limit.</summary>
internal static class RequestBody
{
    /// <summary>Returns the buffer (the caller disposes it) and how many bytes of it the body filled.</summary>
    public static async Task<(PooledBuffer Buffer, int Length)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            throw new InferenceException(InferenceErrorKind.TooLarge, $"request body of {declared} bytes is over the limit of {limit} bytes");
        }

        var buffer = new PooledBuffer((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Array.Length)
                {
                    if (length > limit)
                    {
                        throw new InferenceException(InferenceErrorKind.TooLarge, $"request body is over the limit of {limit} bytes");
                    }

                    var larger = new PooledBuffer((int)Math.Min((long)length * 2, limit + 1));
                    buffer.Array.AsSpan(0, length).CopyTo(larger.Array);
                    buffer.Dispose();
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.Array.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw new InferenceException(InferenceErrorKind.TooLarge, $"request body is over the limit of {limit} bytes");
                }
            }

            return (buffer, length);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
