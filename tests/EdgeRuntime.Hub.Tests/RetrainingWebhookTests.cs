using System.Collections.Concurrent;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace EdgeRuntime.Hub.Tests;

/// <summary>Drift reports reach a real webhook receiver (Kestrel on loopback), and retries after failures.</summary>
[TestFixture]
public sealed class RetrainingWebhookTests
{
    [Test]
    public async Task DriftReportInAlert_PostedToWebhookAfterAFailedAttempt_AndShownDelivered()
    {
        var received = new ConcurrentQueue<string>();
        var calls = 0;
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref calls) == 1)
            {
                return Results.StatusCode(503);
            }

            received.Enqueue(body);
            return Results.Ok();
        });
        await receiver.StartAsync();

        await using var hub = await TestHub.StartAsync(null, "--Hub:Retraining:WebhookUrl", receiver.Urls.First() + "/hook");
        var a = await hub.RegisterAsync("dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        var drift = """{"model":"m","version":"1","window_start_ms":1,"window_end_ms":2,"rows":100,"state":"alert","features":[]}""";
        var ok = """{"model":"m","version":"1","window_start_ms":1,"window_end_ms":2,"rows":100,"state":"ok","features":[]}""";
        await device.PublishAsync(SyncTopics.Events("dev-a"), TestDevice.Batch("dev-a", 1, 1, kind: "drift", type: TelemetryRecordTypes.DriftReport, payload: ok));
        await device.PublishAsync(SyncTopics.Events("dev-a"), TestDevice.Batch("dev-a", 2, 1, kind: "drift", type: TelemetryRecordTypes.DriftReport, payload: drift));
        await device.PublishAsync(SyncTopics.Events("dev-a"), TestDevice.Batch("dev-a", 2, 1, kind: "drift", type: TelemetryRecordTypes.DriftReport, payload: drift));

        await Eventually.HoldsAsync(() => !received.IsEmpty, "the webhook POST");
        var notification = JsonSerializer.Deserialize(received.Single(), FleetJsonContext.Default.RetrainingNotification)!;
        IReadOnlyList<AlertResponse>? alerts = null;
        await Eventually.HoldsAsync(async () => (alerts = await hub.GetAsync("/api/alerts", FleetJsonContext.Default.IReadOnlyListAlertResponse)).Single().DeliveryState == "delivered", "delivered state");
        Assert.Multiple(() =>
        {
            Assert.That(notification.DeviceId, Is.EqualTo("dev-a"));
            Assert.That(notification.Sequence, Is.EqualTo(2));
            Assert.That(notification.Type, Is.EqualTo(TelemetryRecordTypes.DriftReport));
            Assert.That(notification.Report.GetProperty("state").GetString(), Is.EqualTo("alert"));
            Assert.That(alerts!.Single().Attempts, Is.EqualTo(2));
        });
    }
}
