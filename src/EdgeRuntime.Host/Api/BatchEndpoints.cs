using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// Batch jobs in the host, <c>/v2/edge/batch/jobs</c>: submit one (it runs in the background at batch priority and
/// resumes after a restart), list them, read one, cancel one. Submitting and cancelling need the admin token when one
/// is configured.
/// </summary>
internal static class BatchEndpoints
{
    public const string JobsPath = "/v2/edge/batch/jobs";

    public static IEndpointRouteBuilder MapBatchEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(JobsPath, Submit);
        app.MapGet(JobsPath, List);
        app.MapGet(JobsPath + "/{id}", Get);
        app.MapPost(JobsPath + "/{id}/cancel", Cancel);
        return app;
    }

    /// <summary>
    /// 202 with the job's status and its address; for a request that cannot become a job, the reason with 404 (unknown
    /// model or version), 403 (a path it may not use), 409 (another job holds its files), 500 or 503 (the device failed
    /// checking or recording it, or accepts no job for now) or 400 (anything else).
    /// </summary>
    private static async Task Submit(HttpContext context)
    {
        BatchJobStatus status;
        try
        {
            var request = await RequestBody.ReadJsonAsync(context, ContractsJsonContext.Default.BatchJobRequest).ConfigureAwait(false)
                ?? throw InferenceException.BadRequest("the body must be a batch job request: {\"model\": ..., \"input\": {\"path\": ...}, \"output\": ...}");
            status = Service(context).Submit(BatchJobRequests.ToSpec(request, "api"));
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
            return;
        }
        catch (BatchJobException ex)
        {
            await ApiResults.WriteErrorAsync(context, StatusOf(ex.Kind), ex.Message).ConfigureAwait(false);
            return;
        }

        context.Response.Headers.Location = $"{JobsPath}/{Uri.EscapeDataString(status.Id)}";
        await ApiResults.WriteJsonAsync(context, status, ContractsJsonContext.Default.BatchJobStatus, StatusCodes.Status202Accepted).ConfigureAwait(false);
    }

    private static Task List(HttpContext context) =>
        ApiResults.WriteJsonAsync(context, new BatchJobsResponse(Service(context).List()), ContractsJsonContext.Default.BatchJobsResponse);

    private static Task Get(HttpContext context)
    {
        var id = IdOf(context);
        return Service(context).Get(id) is { } status
            ? ApiResults.WriteJsonAsync(context, status, ContractsJsonContext.Default.BatchJobStatus)
            : ApiResults.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no batch job '{id}'");
    }

    /// <summary>200 with the status once cancelling has begun; 404 for an unknown job, 409 for one that already ended.</summary>
    private static Task Cancel(HttpContext context)
    {
        var id = IdOf(context);
        var service = Service(context);
        if (service.Cancel(id))
        {
            return ApiResults.WriteJsonAsync(context, service.Get(id)!, ContractsJsonContext.Default.BatchJobStatus);
        }

        return service.Get(id) is { } finished
            ? ApiResults.WriteErrorAsync(context, StatusCodes.Status409Conflict, $"batch job '{id}' already ended: {finished.State}")
            : ApiResults.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no batch job '{id}'");
    }

    private static int StatusOf(BatchJobErrorKind kind) => kind switch
    {
        BatchJobErrorKind.NotFound => StatusCodes.Status404NotFound,
        BatchJobErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        BatchJobErrorKind.Conflict => StatusCodes.Status409Conflict,
        BatchJobErrorKind.Failed => StatusCodes.Status500InternalServerError,
        BatchJobErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status400BadRequest,
    };

    private static BatchJobService Service(HttpContext context) => context.RequestServices.GetRequiredService<BatchJobService>();

    private static string IdOf(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";
}
