using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Ingest;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Retraining;

/// <summary>
/// Delivers stored alerts (drift reports in state <c>alert</c>, firing alerts) to <c>Hub:Retraining:WebhookUrl</c> as a
/// <see cref="RetrainingNotification"/>: persisted first, POSTed until the receiver answers 2xx, with exponential
/// backoff (1 s doubling to 5 min) between attempts; the state shows in <c>/api/alerts</c>.
/// </summary>
internal sealed partial class RetrainingWebhook(
    HubStore store,
    RecordWriter writer,
    IHttpClientFactory httpClients,
    IOptions<HubOptions> options,
    TimeProvider time,
    ILogger<RetrainingWebhook> logger) : BackgroundService
{
    public const string HttpClientName = "retraining";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _wake = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Retraining.WebhookUrl is not { Length: > 0 } url)
        {
            return;
        }

        writer.AlertsAdded += Wake;
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var alert in store.DueAlerts(time.GetUtcNow().ToUnixTimeMilliseconds(), 100))
                {
                    await DeliverAsync(client, url, alert, stoppingToken);
                }

                var next = store.NextAlertDueMs();
                var wait = next is { } due
                    ? TimeSpan.FromMilliseconds(Math.Clamp(due - time.GetUtcNow().ToUnixTimeMilliseconds(), 0, (long)MaxBackoff.TotalMilliseconds))
                    : MaxBackoff;
                await _wake.WaitAsync(wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            writer.AlertsAdded -= Wake;
        }
    }

    private void Wake() => _wake.Release();

    private async Task DeliverAsync(HttpClient client, string url, AlertRow alert, CancellationToken cancellationToken)
    {
        var attempts = alert.Attempts + 1;
        string error;
        try
        {
            using var document = JsonDocument.Parse(alert.Payload);
            var body = JsonSerializer.Serialize(
                new RetrainingNotification
                {
                    DeviceId = alert.DeviceId,
                    Model = alert.Model,
                    Version = alert.Version,
                    Type = alert.Type,
                    Sequence = alert.Sequence,
                    ReceivedAtMs = alert.ReceivedMs,
                    Report = document.RootElement,
                },
                FleetJsonContext.Default.RetrainingNotification);
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(url, content, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                store.MarkAlertDelivered(alert.Id, attempts, time.GetUtcNow().ToUnixTimeMilliseconds());
                LogDelivered(logger, alert.Id, alert.DeviceId, alert.Type);
                return;
            }

            error = $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            error = ex.Message;
        }

        var backoff = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempts - 1), MaxBackoff.TotalSeconds));
        store.MarkAlertFailed(alert.Id, attempts, (time.GetUtcNow() + backoff).ToUnixTimeMilliseconds(), error);
        LogFailed(logger, alert.Id, attempts, error, backoff.TotalSeconds);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Delivered alert {AlertId} ({Type} from {DeviceId}) to the retraining webhook")]
    private static partial void LogDelivered(ILogger logger, long alertId, string deviceId, string type);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Delivering alert {AlertId} failed (attempt {Attempts}: {Error}); retrying in {DelaySeconds} s")]
    private static partial void LogFailed(ILogger logger, long alertId, int attempts, string error, double delaySeconds);
}
