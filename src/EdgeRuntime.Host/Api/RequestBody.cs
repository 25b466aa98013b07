using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Options;

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

    /// <summary>
    /// Reads a JSON body of the configured size at most; null when the body is empty. A malformed body or a value of the
    /// wrong type is an <see cref="InferenceException"/> (400) saying where.
    /// </summary>
    public static async Task<T?> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        using var buffer = await ReadAsync(context.Request, limit, context.RequestAborted).ConfigureAwait(false);
        if (buffer.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.WrittenMemory.Span, typeInfo);
        }
        catch (JsonException ex)
        {
            throw InferenceException.BadRequest($"malformed JSON: {ex.Message}");
        }
    }
}
