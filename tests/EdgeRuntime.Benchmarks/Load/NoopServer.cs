using System.Net;
using EdgeRuntime.Host.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// The HTTP floor: Kestrel from the same slim builder and limits as the host, one POST endpoint on the
/// infer route that reads the body the way the host does and answers a fixed JSON body of the size of a
/// demo response. Prints <c>noop-server listening on: URL</c>; loopback only.
/// </summary>
internal static class NoopServer
{
    private static readonly long Limit = new ApiOptions().MaxRequestBodyBytes;

    private static readonly byte[] Answer =
        """{"model_name":"demo","model_version":"1","outputs":[{"name":"probabilities","datatype":"FP32","shape":[1,3],"data":[1.3651316E-05,0.0016587775,0.99832755]}]}"""u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : "http://127.0.0.1:0";
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) || !IPAddress.IsLoopback(address))
            {
                await Console.Error.WriteLineAsync($"noop-server: '{url}' is not a loopback IP address; it listens on loopback only");
                return 2;
            }
        }

        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = Limit;
        });

        await using var app = builder.Build();
        // A RequestDelegate, as the host's endpoint is: no parameter binding in between.
        app.MapPost("/v2/models/{model}/infer", AnswerAsync);
        app.MapPost("/v2/models/{model}/versions/{version}/infer", AnswerAsync);
        await app.StartAsync();
        foreach (var url in app.Urls)
        {
            Console.WriteLine($"noop-server listening on: {url}");
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task AnswerAsync(HttpContext context)
    {
        using var body = await RequestBody.ReadAsync(context.Request, Limit, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Answer.Length;
        await context.Response.Body.WriteAsync(Answer, context.RequestAborted);
    }
}
