using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Api;

/// <summary>Reads a whole request body into one pooled buffer, enforcing the configured size limit.</summary>
internal static class RequestBody
{
    /// <summary>Returns the body in a pooled buffer, which the caller disposes.</summary>
    public static async Task<PooledBuffer> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limit)
        {
            throw new InferenceException(InferenceErrorKind.TooLarge, $"request body of {declared} bytes is over the limit of {limit} bytes");
        }

        var buffer = new PooledBuffer((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer;
                }

                buffer.Advance(read);
                if (buffer.Length > limit)
                {
                    throw new InferenceException(InferenceErrorKind.TooLarge, $"request body is over the limit of {limit} bytes");
                }
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
