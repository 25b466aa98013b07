using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeRuntime.FleetSimulator;

/// <summary>The few fleet API calls the simulator needs: register devices, and read what the hub stored.</summary>
internal sealed class HubApi : IDisposable
{
    private readonly HttpClient _client;

    public HubApi(Uri baseAddress, string token)
    {
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>Registers <paramref name="deviceId"/> (or rotates its credentials when it exists) and returns its password.</summary>
    public async Task<string> RegisterAsync(string deviceId, string tag, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["id"] = deviceId, ["tags"] = new JsonArray(tag) }.ToJsonString();
        using var created = await _client.PostAsync("/api/devices", Json(body), cancellationToken).ConfigureAwait(false);
        if (created.StatusCode == HttpStatusCode.Conflict)
        {
            using var rotated = await _client.PostAsync($"/api/devices/{deviceId}/credentials", Json("{}"), cancellationToken).ConfigureAwait(false);
            return await PasswordAsync(rotated, cancellationToken).ConfigureAwait(false);
        }

        return await PasswordAsync(created, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How many of the device's records the hub holds, and whether any sequence number is missing.</summary>
    public async Task<(long Count, long Missing)> SummaryAsync(string deviceId, CancellationToken cancellationToken)
    {
        var node = await GetAsync($"/api/devices/{deviceId}/records/summary", cancellationToken).ConfigureAwait(false);
        return (node["count"]!.GetValue<long>(), node["missing"]!.GetValue<long>());
    }

    /// <summary>The hub's own ingest delay (stored minus created) over records created in the window.</summary>
    public Task<JsonNode> IngestDelayAsync(long fromMs, long toMs, string? deviceIdPrefix, CancellationToken cancellationToken) =>
        GetAsync($"/api/telemetry/delay?from_ms={fromMs}&to_ms={toMs}{(deviceIdPrefix is null ? "" : "&device_prefix=" + Uri.EscapeDataString(deviceIdPrefix))}", cancellationToken);

    public void Dispose() => _client.Dispose();

    private async Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _client.GetAsync(path, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text)!;
    }

    private static async Task<string> PasswordAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"device registration: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text)!["password"]!.GetValue<string>();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
