using System.Buffers;
using System.Globalization;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// OIP inference: <c>POST /v2/models/{model}[/versions/{version}]/infer</c> with JSON tensors or the binary
/// tensor extension (<c>Inference-Header-Content-Length</c>), answered the same way.
/// </summary>
internal static class InferEndpoints
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";

    public static IEndpointRouteBuilder MapInferEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v2/models/{model}/infer", Infer);
        app.MapPost("/v2/models/{model}/versions/{version}/infer", Infer);
        return app;
    }

    private static async Task Infer(HttpContext context)
    {
        var (model, version) = ModelEndpoints.RouteOf(context);
        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        InferenceRequest? request = null;
        InferenceResponse? response = null;
        PooledBuffer? body = null;
        try
        {
            var headerLength = ParseHeaderLength(context.Request);
            body = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted).ConfigureAwait(false);
            var content = body.WrittenMemory;
            if (headerLength == 0)
            {
                request = InferenceRequestReader.ReadRaw(content, SingleInputOf(router, model, version), body);
            }
            else
            {
                request = InferenceRequestReader.Read(content, headerLength, body);
            }

            body = null;
            response = await router.InferAsync(model, version, request, context.RequestAborted, RoutingKeyOf(context, router, model, version)).ConfigureAwait(false);
            await WriteResponseAsync(context, response, request).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"request body is over the limit of {limit} bytes"
                : ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; there is nobody to answer.
        }
        finally
        {
            response?.Dispose();
            request?.Dispose();
            body?.Dispose();
        }
    }

    /// <summary>
    /// Sends the response: the JSON part through one small pooled buffer, binary outputs straight from the
    /// memory the model wrote them to (ONNX Runtime's, or the batch's) into the socket's pipe.
    /// </summary>
    private static async Task WriteResponseAsync(HttpContext context, InferenceResponse response, InferenceRequest request)
    {
        using var header = new PooledBuffer(1024);
        var headerLength = InferenceResponseWriter.WriteHeader(response, request, header);
        var http = context.Response;
        http.StatusCode = StatusCodes.Status200OK;
        if (headerLength is { } jsonLength)
        {
            http.ContentType = "application/octet-stream";
            http.Headers[HeaderLengthHeader] = jsonLength.ToString(CultureInfo.InvariantCulture);
            http.ContentLength = jsonLength + InferenceResponseWriter.BinaryLength(response, request);
        }
        else
        {
            http.ContentType = "application/json";
            http.ContentLength = header.Length;
        }

        var body = http.BodyWriter;
        body.Write(header.WrittenMemory.Span);
        if (headerLength is not null)
        {
            foreach (var tensor in response.Outputs)
            {
                if (request.WantsBinary(tensor.Name))
                {
                    body.Write(tensor.Data.Span);
                }
            }
        }

        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The value of the sticky header of the model's rollout, when the request is unversioned and the caller sent one.</summary>
    private static string? RoutingKeyOf(HttpContext context, ModelRouter router, string model, string? version)
    {
        if (version is not null || router.Rollouts is not { IsEmpty: false } rollouts || rollouts.Find(model)?.StickyHeader is not { } header)
        {
            return null;
        }

        return context.Request.Headers.TryGetValue(header, out var values) && values.Count > 0 ? values.ToString() : null;
    }

    private static int? ParseHeaderLength(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(HeaderLengthHeader, out var values))
        {
            return null;
        }

        if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw InferenceException.BadRequest($"{HeaderLengthHeader} must be one non-negative whole number, not '{values}'");
        }

        return length;
    }

    private static TensorMetadata SingleInputOf(ModelRouter router, string model, string? version)
    {
        var session = router.Describe(model, version);
        try
        {
            return session.Inputs.Count == 1
                ? session.Inputs[0]
                : throw InferenceException.BadRequest($"a raw binary request ({HeaderLengthHeader}: 0) needs a model with exactly one input; '{model}' has {session.Inputs.Count}");
        }
        finally
        {
            session.Release();
        }
    }
}
