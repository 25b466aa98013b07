using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Api;

/// <summary>Writes protocol JSON and protocol errors (<c>{"error": "..."}</c>) with the right status.</summary>
internal static class ApiResults
{
    public static Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo, int statusCode = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(value, typeInfo, contentType: "application/json", context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message, TimeSpan? retryAfter = null)
    {
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        context.Response.Clear();
        if (retryAfter is { } delay)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(context, new ErrorResponse(message), ContractsJsonContext.Default.ErrorResponse, statusCode);
    }

    /// <summary>Answers a failed inference with its status, and <c>Retry-After</c> when the failure says when to retry.</summary>
    public static Task WriteErrorAsync(HttpContext context, InferenceException exception) =>
        WriteErrorAsync(context, StatusCodeOf(exception.Kind), exception.Message, exception.RetryAfter);

    public static int StatusCodeOf(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        InferenceErrorKind.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        InferenceErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };
}
