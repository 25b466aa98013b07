using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.EndToEnd.Tests.Infrastructure;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests;

/// <summary>
/// A batch job started from the hub: the fleet API's <c>run_batch</c> command reaches a real device, which queues and
/// runs the job; the job's <c>batch_job_finished</c> event comes back to the hub's records.
/// </summary>
[TestFixture(BrokerKind.Embedded)]
public sealed class BatchCommandTests(BrokerKind broker)
{
    private const int Rows = 500;

    /// <summary>run_batch → command answered ok → the finished job's event, with its counts, in the hub's events.</summary>
    [Test]
    public async Task RunBatchCommand_DeviceRunsTheJob_HubGetsItsFinishedEvent()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var password = await fleet.RegisterDeviceAsync("press-b");
        var data = Path.Combine(fleet.Root, "press-b");
        TestRepository.WriteModel(Path.Combine(data, "models"), "sensor", 1, SyntheticModels.Demo().Bytes);
        WriteReadings(Path.Combine(data, "batch", "readings.csv"));
        var device = await fleet.StartDeviceAsync("press-b", password, data);
        await device.WaitReadyAsync();
        await Wait.UntilAsync(async () => (await fleet.DeviceAsync("press-b"))["online"]!.GetValue<bool>());

        var command = await fleet.SendAsync(HttpMethod.Post, "/api/devices/press-b/commands", new JsonObject
        {
            ["name"] = "run_batch",
            ["arguments"] = new JsonObject { ["model"] = "sensor", ["input"] = "readings.csv", ["output"] = "scores.db", ["id"] = "hub-job", ["batch_size"] = "32" },
        });
        var commandId = command!["id"]!.GetValue<string>();
        JsonNode? result = null;
        await Wait.UntilAsync(async () => (result = (await fleet.SendAsync(HttpMethod.Get, $"/api/devices/press-b/commands/{commandId}"))?["result"]) is not null);
        Assert.That(result!["ok"]!.GetValue<bool>(), Is.True, result.ToJsonString());
        Assert.That(result["message"]!.GetValue<string>(), Does.StartWith("job hub-job ").And.Contain("(model sensor)"));

        JsonNode? finished = null;
        try
        {
            await Wait.UntilAsync(async () => (finished = (await fleet.EventsAsync("press-b", "batch_job_finished")).FirstOrDefault()) is not null);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no batch_job_finished event reached the hub\n{fleet.Logs(device)}");
        }

        var payload = finished!["payload"]!;
        Assert.Multiple(() =>
        {
            Assert.That(payload["id"]!.GetValue<string>(), Is.EqualTo("hub-job"));
            Assert.That(payload["state"]!.GetValue<string>(), Is.EqualTo("completed"));
            Assert.That(payload["trigger"]!.GetValue<string>(), Is.EqualTo("hub"));
            Assert.That(payload["rows_succeeded"]!.GetValue<long>(), Is.EqualTo(Rows));
            Assert.That(payload["rows_failed"]!.GetValue<long>(), Is.Zero);
            Assert.That(finished["model"]!.GetValue<string>(), Is.EqualTo("sensor"));
        });
        Assert.That(File.Exists(Path.Combine(data, "batch", "scores.db")), Is.True);
    }

    private static void WriteReadings(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder("a,b,c,d\n");
        for (var row = 0; row < Rows; row++)
        {
            text.AppendJoin(',', Enumerable.Range(0, 4).Select(i => ((row + i * 7) % 13 / 3.0).ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }
}
