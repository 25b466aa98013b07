using System.Globalization;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment.Rollout;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// The local admin API for rollouts, <c>/v2/edge/rollouts</c>: read every model's rollout; roll out a version from an
/// uploaded <c>.edgepkg</c> (or one still kept on disk) with a strategy given as query parameters; promote, advance,
/// roll back. The changing calls need the admin token when one is configured.
/// </summary>
internal static class RolloutEndpoints
{
    public static IEndpointRouteBuilder MapRolloutEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/edge/rollouts", List);
        app.MapGet("/v2/edge/rollouts/{model}", Get);
        app.MapPost("/v2/edge/rollouts/{model}/versions/{version}", Start);
        app.MapPost("/v2/edge/rollouts/{model}/promote", Promote);
        app.MapPost("/v2/edge/rollouts/{model}/advance", Advance);
        app.MapPost("/v2/edge/rollouts/{model}/rollback", Rollback);
        return app;
    }

    private static Task List(HttpContext context) =>
        ApiResults.WriteJsonAsync(context, new RolloutsResponse(Controller(context).Describe()), SyncJsonContext.Default.RolloutsResponse);

    private static Task Get(HttpContext context)
    {
        var model = ModelOf(context);
        var controller = Controller(context);
        return controller.StateOf(model) is { } state
            ? ApiResults.WriteJsonAsync(context, new RolloutResponse(controller.Describe(state)), SyncJsonContext.Default.RolloutResponse)
            : ApiResults.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"model '{model}' has no rollout");
    }

    /// <summary>Streams the package (if any) to a file, then stages it and answers once it is staged or refused.</summary>
    private static async Task Start(HttpContext context)
    {
        var model = ModelOf(context);
        var version = context.Request.RouteValues["version"] as string ?? "";
        if (!TryReadSpec(context.Request.Query, out var spec, out var retry, out var problem))
        {
            await ApiResults.WriteErrorAsync(context, StatusCodes.Status400BadRequest, problem).ConfigureAwait(false);
            return;
        }

        var services = context.RequestServices;
        var limit = services.GetRequiredService<IOptions<RolloutOptions>>().Value.MaxPackageBytes;
        if (context.Request.ContentLength > limit)
        {
            await ApiResults.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the package is larger than {RolloutOptions.SectionName}:MaxPackageBytes ({limit} bytes)").ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit;
        }

        var upload = Controller(context).NewUploadPath();
        try
        {
            long length;
            using (var file = new FileStream(upload, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await context.Request.Body.CopyToAsync(file, context.RequestAborted).ConfigureAwait(false);
                length = file.Length;
            }

            var request = new RolloutRequest
            {
                Model = model,
                Version = version,
                Spec = spec,
                Source = RolloutSources.Local,
                PackagePath = length > 0 ? upload : null,
                Retry = retry,
            };
            // Not cancelled with the request: the upload file must outlive the operation that reads it.
            var result = await Controller(context).StartAsync(request, CancellationToken.None).ConfigureAwait(false);
            await WriteResultAsync(context, result).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ApiResults.WriteErrorAsync(context, ex.StatusCode, $"the package is larger than {RolloutOptions.SectionName}:MaxPackageBytes ({limit} bytes)").ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; staging, once begun, goes on.
        }
        finally
        {
            File.Delete(upload);
        }
    }

    private static async Task Promote(HttpContext context) =>
        await WriteResultAsync(context, await Controller(context).PromoteAsync(ModelOf(context), "local", context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);

    private static async Task Advance(HttpContext context) =>
        await WriteResultAsync(context, await Controller(context).AdvanceAsync(ModelOf(context), "local", context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);

    private static async Task Rollback(HttpContext context)
    {
        var reason = context.Request.Query["reason"].ToString();
        var result = await Controller(context).RollbackAsync(ModelOf(context), "local", reason.Length > 0 ? reason : null, context.RequestAborted).ConfigureAwait(false);
        await WriteResultAsync(context, result).ConfigureAwait(false);
    }

    /// <summary>200 with the rollout; 400 for a request that cannot be acted on; 422 when staging refused the version.</summary>
    private static Task WriteResultAsync(HttpContext context, RolloutResult result)
    {
        if (result.Ok)
        {
            return ApiResults.WriteJsonAsync(context, new RolloutResponse(Controller(context).Describe(result.State), result.Reason), SyncJsonContext.Default.RolloutResponse);
        }

        var status = result.Step is "request" or "promote" or "advance" or "rollback" ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity;
        var message = status == StatusCodes.Status400BadRequest ? result.Reason ?? "refused" : $"refused at {result.Step}: {result.Reason}";
        return ApiResults.WriteErrorAsync(context, status, message);
    }

    /// <summary>The rollout spec from query parameters named as in the desired state's JSON (<c>strategy</c>, <c>split_percent</c>, <c>max_error_rate</c>, …).</summary>
    private static bool TryReadSpec(IQueryCollection query, out RolloutSpec spec, out bool retry, out string problem)
    {
        spec = new RolloutSpec();
        retry = false;
        problem = "";
        var guardrails = new GuardrailSpec();
        foreach (var (key, values) in query)
        {
            var text = values.ToString();
            var ok = true;
            switch (key)
            {
                case "strategy":
                    spec = spec with { Strategy = text };
                    break;
                case "sticky_header":
                    spec = spec with { StickyHeader = text };
                    break;
                case "split_percent":
                    ok = TryNumber(text, out var split);
                    spec = spec with { SplitPercent = split };
                    break;
                case "shadow_sample_rate":
                    ok = TryNumber(text, out var rate);
                    spec = spec with { ShadowSampleRate = rate };
                    break;
                case "auto_advance_seconds":
                    ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds);
                    spec = spec with { AutoAdvanceSeconds = seconds };
                    break;
                case "max_error_rate":
                    ok = TryNumber(text, out var errorRate);
                    guardrails = guardrails with { MaxErrorRate = errorRate };
                    break;
                case "max_latency_ratio":
                    ok = TryNumber(text, out var latency);
                    guardrails = guardrails with { MaxLatencyRatio = latency };
                    break;
                case "max_disagreement":
                    ok = TryNumber(text, out var disagreement);
                    guardrails = guardrails with { MaxDisagreement = disagreement };
                    break;
                case "agreement_tolerance":
                    ok = TryNumber(text, out var tolerance);
                    guardrails = guardrails with { AgreementTolerance = tolerance };
                    break;
                case "min_requests":
                    ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var requests);
                    guardrails = guardrails with { MinRequests = requests };
                    break;
                case "min_latency_samples":
                    ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var latencySamples);
                    guardrails = guardrails with { MinLatencySamples = latencySamples };
                    break;
                case "min_shadow_samples":
                    ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var shadowSamples);
                    guardrails = guardrails with { MinShadowSamples = shadowSamples };
                    break;
                case "rollback_on_drift":
                    ok = bool.TryParse(text, out var drift);
                    guardrails = guardrails with { RollbackOnDrift = drift };
                    break;
                case "retry":
                    ok = bool.TryParse(text, out retry);
                    break;
                default:
                    problem = $"unknown query parameter '{key}'";
                    return false;
            }

            if (!ok)
            {
                problem = $"query parameter '{key}' has the malformed value '{text}'";
                return false;
            }
        }

        spec = spec with { Guardrails = guardrails };
        return true;

        static bool TryNumber(string text, out double value) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    private static RolloutController Controller(HttpContext context) => context.RequestServices.GetRequiredService<RolloutController>();

    private static string ModelOf(HttpContext context) => context.Request.RouteValues["model"] as string ?? "";
}
