using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Api;

/// <summary><c>/api/telemetry</c>, <c>/api/telemetry/delay</c>, <c>/api/events</c>, <c>/api/devices/{id}/records/summary</c> and <c>/api/alerts</c>.</summary>
internal static class RecordEndpoints
{
    private const int MaxLimit = 10_000;
    private static readonly string[] EventKinds = ["event", "drift"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/telemetry", (HttpRequest request, HubStore store) => Query(request, store, null));
        api.MapGet("/events", (HttpRequest request, HubStore store) => Query(request, store, EventKinds));
        api.MapGet("/devices/{id}/records/summary", (string id, HubStore store) =>
        {
            var (count, first, last) = store.RecordRange(id);
            var missing = count == 0 ? 0 : last!.Value - first!.Value + 1 - count;
            return Results.Json(new RecordSummaryResponse(count, first, last, missing), FleetJsonContext.Default.RecordSummaryResponse);
        });
        api.MapGet("/telemetry/delay", (long? from_ms, long? to_ms, string? device_prefix, HubStore store) =>
        {
            if (from_ms is null || to_ms is null)
            {
                return ApiErrors.BadRequest("from_ms and to_ms are required");
            }

            var (count, values) = store.IngestDelay(from_ms.Value, to_ms.Value, NullIfEmpty(device_prefix), [0.50, 0.95, 0.99, 1.0]);
            return Results.Json(
                count == 0 ? new IngestDelayResponse(0, null, null, null, null) : new IngestDelayResponse(count, values[0], values[1], values[2], values[3]),
                FleetJsonContext.Default.IngestDelayResponse);
        });
        api.MapGet("/alerts", (HubStore store) =>
        {
            IReadOnlyList<AlertResponse> alerts = [.. store.ListAlerts().Select(a => new AlertResponse
            {
                Id = a.Id,
                DeviceId = a.DeviceId,
                Model = a.Model,
                Version = a.Version,
                Type = a.Type,
                Sequence = a.Sequence,
                ReceivedAtMs = a.ReceivedMs,
                DeliveryState = a.State,
                Attempts = a.Attempts,
                LastError = a.LastError,
                DeliveredMs = a.DeliveredMs,
                Report = Json(a.Payload),
            })];
            return Results.Json(alerts, FleetJsonContext.Default.IReadOnlyListAlertResponse);
        });
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static IResult Query(HttpRequest request, HubStore store, IReadOnlyList<string>? kinds)
    {
        var q = request.Query;
        long? Number(string key) => long.TryParse(q[key], out var value) ? value : null;
        foreach (var key in new[] { "from_ms", "to_ms", "after_seq", "limit" })
        {
            if (q.ContainsKey(key) && Number(key) is null)
            {
                return ApiErrors.BadRequest($"{key} must be an integer");
            }
        }

        var requestedKind = q["kind"].ToString();
        if (requestedKind.Length > 0)
        {
            if (kinds is not null && !kinds.Contains(requestedKind))
            {
                return ApiErrors.BadRequest($"kind must be one of {string.Join(", ", kinds)}");
            }

            kinds = [requestedKind];
        }

        var query = new RecordQuery
        {
            DeviceId = NullIfEmpty(q["device_id"]),
            Model = NullIfEmpty(q["model"]),
            Type = NullIfEmpty(q["type"]),
            Kinds = kinds,
            FromMs = Number("from_ms"),
            ToMs = Number("to_ms"),
            AfterSeq = Number("after_seq"),
            Limit = (int)Math.Clamp(Number("limit") ?? 1000, 1, MaxLimit),
        };
        IReadOnlyList<FleetRecord> records = [.. store.QueryRecords(query).Select(r => new FleetRecord
        {
            DeviceId = r.DeviceId,
            Sequence = r.Sequence,
            Kind = r.Kind,
            TimestampMs = r.TimestampMs,
            Type = r.Type,
            Model = r.Model,
            Version = r.Version,
            ReceivedMs = r.ReceivedMs,
            Payload = Json(r.Payload),
        })];
        return Results.Json(records, FleetJsonContext.Default.IReadOnlyListFleetRecord);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
