using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// The device's own extension, <c>/v2/edge/...</c>: the telemetry store's depth and records, drift per model
/// version, and alert rules with the alerts firing now.
/// </summary>
internal static class EdgeEndpoints
{
    private const int MaxRecordsPerRead = 1000;

    public static IEndpointRouteBuilder MapEdgeEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/edge/telemetry", Telemetry);
        app.MapGet("/v2/edge/telemetry/records", Records);
        app.MapGet("/v2/edge/drift", Drift);
        app.MapGet("/v2/edge/alerts", Alerts);
        app.MapGet("/v2/edge/sync", Sync);
        return app;
    }

    private static Task Telemetry(HttpContext context)
    {
        var status = context.RequestServices.GetRequiredService<TelemetryRecorder>().Status;
        return ApiResults.WriteJsonAsync(
            context,
            new TelemetryStatusResponse(status.Records, status.Bytes, status.MaxBytes, status.FirstSequence, status.LastSequence, ByKind(status.RecordsByKind), ByKind(status.Dropped)),
            ContractsJsonContext.Default.TelemetryStatusResponse);
    }

    private static async Task Records(HttpContext context)
    {
        if (!TryQuery(context, "after", 0, out var after) || !TryQuery(context, "limit", 100, out var limit) || limit is < 1 or > MaxRecordsPerRead)
        {
            await ApiResults.WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"'after' must be a sequence number and 'limit' between 1 and {MaxRecordsPerRead}").ConfigureAwait(false);
            return;
        }

        var store = context.RequestServices.GetRequiredService<TelemetryStore>();
        var records = store.Read(after, (int)limit).Select(r =>
        {
            using var payload = JsonDocument.Parse(r.Payload);
            return new TelemetryRecordEntry(r.Sequence, r.Kind.ToString().ToLowerInvariant(), r.TimestampMs, r.Type, r.Model, r.Version, payload.RootElement.Clone());
        }).ToList();
        await ApiResults.WriteJsonAsync(context, new TelemetryRecordsResponse(records), ContractsJsonContext.Default.TelemetryRecordsResponse).ConfigureAwait(false);
    }

    private static Task Drift(HttpContext context) =>
        ApiResults.WriteJsonAsync(context, new DriftResponse(context.RequestServices.GetRequiredService<DriftDetector>().Latest), ContractsJsonContext.Default.DriftResponse);

    private static Task Alerts(HttpContext context)
    {
        var engine = context.RequestServices.GetRequiredService<AlertEvaluator>().Engine;
        var rules = engine.Rules
            .Select(r => new AlertRuleInfo(r.Name, r.Condition.ToString(), r.Model, r.Threshold, r.EffectiveClearThreshold, r.ForSeconds, r.ClearForSeconds ?? r.ForSeconds))
            .ToList();
        return ApiResults.WriteJsonAsync(context, new AlertsResponse(engine.Firing, rules), ContractsJsonContext.Default.AlertsResponse);
    }

    private static Task Sync(HttpContext context)
    {
        var services = context.RequestServices;
        var response = SyncStatusSnapshot.Build(
            services.GetRequiredService<IOptions<SyncOptions>>().Value,
            services.GetService<IHubLink>(),
            services.GetService<TelemetryUplink>(),
            services.GetService<DeploymentAgent>());
        return ApiResults.WriteJsonAsync(context, response, SyncJsonContext.Default.SyncStatusResponse);
    }

    private static Dictionary<string, long> ByKind(IReadOnlyDictionary<TelemetryKind, long> counts) =>
        counts.ToDictionary(c => c.Key.ToString().ToLowerInvariant(), c => c.Value);

    private static bool TryQuery(HttpContext context, string name, long fallback, out long value)
    {
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
