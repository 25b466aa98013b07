using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>Commands from the hub, answered on <c>commands/response</c>.</summary>
public sealed class DeviceCommandHandlerTests
{
    [Test]
    public async Task ExecuteAsync_Commands_AreRunAndAnswered()
    {
        using var directory = new TestStores();
        await using var hub = new TestHub();
        await hub.StartAsync();
        await using var device = new TestDevice(directory.DirectoryPath, hub.Port);
        await device.InstallDemoV1Async();
        await device.StartAsync();
        await Wait.UntilAsync(() => device.Link.Status.Connected, "the link is connected");
        device.Recorder.Record(TelemetryKind.Event, "test", null, null, "{}");
        await device.Recorder.FlushAsync();
        var stored = device.Store.LastSequence;
        var statuses = hub.Statuses.Count;

        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c1", Name = DeviceCommandNames.Flush });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c2", Name = DeviceCommandNames.PublishStatus });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c3", Name = "self_destruct" });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c4", Name = DeviceCommandNames.Reconcile });

        await Wait.UntilAsync(() => hub.CommandResults.Count == 4, "all four commands are answered");
        var results = hub.CommandResults.ToDictionary(r => r.Id);
        Assert.That(results["c1"].Ok, Is.True);
        Assert.That(hub.HighestSequenceAtResult["c1"], Is.GreaterThanOrEqualTo(stored), "flush answers only once the hub holds everything stored before it");
        Assert.That(results["c2"].Ok, Is.True);
        Assert.That(hub.Statuses.Count, Is.GreaterThan(statuses));
        Assert.That(results["c3"], Has.Property("Ok").False.And.Property("Message").Contains("self_destruct"));
        Assert.That(results["c4"].Name, Is.EqualTo(DeviceCommandNames.Reconcile));
    }

    /// <summary>run_batch queues a job from the arguments and answers with its id; what the job service refuses is answered not ok with the reason.</summary>
    [Test]
    public async Task ExecuteAsync_RunBatch_QueuesTheJobOrAnswersWhyNot()
    {
        using var directory = new TestStores();
        await using var hub = new TestHub();
        await hub.StartAsync();
        await using var device = new TestDevice(directory.DirectoryPath, hub.Port);
        await device.InstallDemoV1Async();
        var batch = Path.Combine(directory.DirectoryPath, "batch");
        Directory.CreateDirectory(batch);
        await File.WriteAllTextAsync(Path.Combine(batch, "readings.csv"), "a,b,c,d\n1,2,3,4\n4,3,2,1\n");
        await device.StartAsync();
        await Wait.UntilAsync(() => device.Link.Status.Connected, "the link is connected");
        Dictionary<string, string> Arguments(params (string Name, string Value)[] changes)
        {
            var arguments = new Dictionary<string, string> { ["model"] = "demo", ["input"] = "readings.csv", ["output"] = "scores.db", ["id"] = "hub-1", ["batch_size"] = "2" };
            foreach (var (name, value) in changes)
            {
                arguments[name] = value;
            }

            return arguments;
        }

        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "b1", Name = DeviceCommandNames.RunBatch, Arguments = Arguments() });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "b2", Name = DeviceCommandNames.RunBatch, Arguments = Arguments(("model", "nosuch"), ("id", "hub-2")) });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "b3", Name = DeviceCommandNames.RunBatch, Arguments = Arguments(("output", "/etc/scores.db"), ("id", "hub-3")) });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "b4", Name = DeviceCommandNames.RunBatch, Arguments = Arguments(("batch_size", "lots"), ("id", "hub-4")) });

        await Wait.UntilAsync(() => hub.CommandResults.Count == 4, "all four commands are answered");
        var results = hub.CommandResults.ToDictionary(r => r.Id);
        Assert.Multiple(() =>
        {
            Assert.That(results["b1"], Has.Property("Ok").True.And.Property("Message").StartsWith("job hub-1 ").And.Property("Message").EndsWith("(model demo)"));
            Assert.That(results["b2"], Has.Property("Ok").False.And.Property("Message").Contains("'nosuch'"));
            Assert.That(results["b3"], Has.Property("Ok").False.And.Property("Message").Contains("outside the folders batch jobs may use"));
            Assert.That(results["b4"], Has.Property("Ok").False.And.Property("Message").Contains("batch_size 'lots'"));
        });
        await Wait.UntilAsync(() => device.Batches.Get("hub-1") is { State: BatchJobStates.Completed }, "the job completes");
        Assert.That(device.Batches.Get("hub-1")!.Trigger, Is.EqualTo("hub"));
        Assert.That(device.Batches.List().Select(j => j.Id), Is.EqualTo(new[] { "hub-1" }), "refused jobs are not queued");
    }
}
