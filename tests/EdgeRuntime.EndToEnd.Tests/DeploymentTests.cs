using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.EndToEnd.Tests.Infrastructure;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests;

/// <summary>
/// A model version travels from the fleet API to a device over the real broker: registered, uploaded, assigned,
/// downloaded in chunks, verified, installed and served, or refused with the old version still serving.
/// </summary>
[TestFixture(BrokerKind.Embedded)]
[TestFixture(BrokerKind.Mosquitto)]
public sealed class DeploymentTests(BrokerKind broker)
{
    private const string Model = "sensor";

    [Test]
    public async Task Assign_NewVersion_DeviceDownloadsVerifiesServesAndReportsIt()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var password = await fleet.RegisterDeviceAsync("dev-a", "line-1");
        var device = await StartDeviceServingV1Async(fleet, "dev-a", password);
        Assert.That(await ServedVersionAsync(device), Is.EqualTo("1"));

        var upload = await fleet.UploadModelAsync(Model, 2, SyntheticModels.FloatMlp().Bytes);
        await fleet.AssignAsync(Model, 2, "dev-a");

        await Wait.UntilAsync(async () => await ServedVersionAsync(device) == "2");
        await Wait.UntilAsync(async () => (await fleet.EventsAsync("dev-a", "model_installed")).Count > 0);
        var installed = (await fleet.EventsAsync("dev-a", "model_installed"))[0]!;
        Assert.That(installed["payload"]!["version"]!.GetValue<string>(), Is.EqualTo("2"));
        Assert.That(installed["payload"]!["artifact_id"]!.GetValue<string>(), Is.EqualTo(upload["artifact"]!["id"]!.GetValue<string>()));

        // The device's status tells the hub what it serves now.
        await Wait.UntilAsync(async () => (await fleet.DeviceAsync("dev-a"))["models"]!.AsArray()
            .Any(m => m!["name"]!.GetValue<string>() == Model && m["version"]!.GetValue<string>() == "2" && m["state"]!.GetValue<string>() == "READY"));
        var status = await fleet.DeviceAsync("dev-a");
        Assert.That(status["online"]!.GetValue<bool>(), Is.True);
        Assert.That(status["applied_revision"]!.GetValue<long>(), Is.EqualTo(status["desired_revision"]!.GetValue<long>()));
    }

    [Test]
    public async Task Assign_ArtifactCorruptedInHubStore_RefusedAndOldVersionKeepsServing()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var password = await fleet.RegisterDeviceAsync("dev-b");
        var device = await StartDeviceServingV1Async(fleet, "dev-b", password);

        var upload = await fleet.UploadModelAsync(Model, 2, SyntheticModels.FloatMlp().Bytes);
        var artifactPath = Path.Combine(fleet.HubDataDirectory, "artifacts", upload["artifact"]!["id"]!.GetValue<string>());
        var bytes = await File.ReadAllBytesAsync(artifactPath);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(artifactPath, bytes);
        await fleet.AssignAsync(Model, 2, "dev-b");

        await Wait.UntilAsync(async () => (await fleet.EventsAsync("dev-b", "deployment_failed")).Count > 0);
        var failed = (await fleet.EventsAsync("dev-b", "deployment_failed"))[0]!;
        Assert.That(failed["payload"]!["reason"]!.GetValue<string>(), Does.Contain("corrupt").IgnoreCase, failed.ToJsonString());
        Assert.That(await ServedVersionAsync(device), Is.EqualTo("1"));
        Assert.That(Directory.Exists(Path.Combine(device.DataDirectory, "models", Model, "2")), Is.False, "nothing of the refused version is installed");
    }

    [Test]
    public async Task Download_DeviceKilledMidway_ResumesFromTheVerifiedOffset()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var password = await fleet.RegisterDeviceAsync("dev-c");
        var dataDirectory = Path.Combine(fleet.Root, "dev-c");
        var big = SyntheticModels.ComputeBound().Bytes;

        // The hub distributes a compressed, signed package; its size decides how slow "slow enough" is.
        var size = (await fleet.UploadModelAsync("big", 1, big))["artifact"]!["size"]!.GetValue<long>();
        var throttled = new Dictionary<string, string>
        {
            // About 8 s for the whole package in chunks of at most 256 KiB: slow enough to be caught a quarter of the way.
            ["EdgeRuntime__Sync__MaxDownloadBytesPerSecond"] = Math.Max(16 * 1024, size / 8).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var device = await StartDeviceServingV1Async(fleet, "dev-c", password, throttled);
        await fleet.AssignAsync("big", 1, "dev-c");

        using (var client = device.CreateClient())
        {
            await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(client, "/v2/edge/sync")).Body?["download"]?["offset"]?.GetValue<long>() >= size / 4);
        }

        // A power cut mid-download: SIGKILL by the device's own id.
        using (var process = System.Diagnostics.Process.GetProcessById(device.ProcessId))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        var restarted = await fleet.StartDeviceAsync("dev-c", password, dataDirectory);
        using var restartedClient = restarted.CreateClient();
        await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(restartedClient, "/v2/models/big/ready")).Status == 200);

        await Wait.UntilAsync(async () => (await fleet.EventsAsync("dev-c", "artifact_download_started")).Count >= 2);
        var starts = await fleet.EventsAsync("dev-c", "artifact_download_started");
        Assert.That(starts[0]!["payload"]!["resumed_from"]?.GetValue<long>() ?? 0, Is.EqualTo(0));
        Assert.That(starts[^1]!["payload"]!["resumed_from"]!.GetValue<long>(), Is.GreaterThan(0).And.LessThan(size), "the restarted device resumed instead of starting over");
        var installed = Path.Combine(dataDirectory, "models", "big", "1", "model.onnx");
        Assert.That(await File.ReadAllBytesAsync(installed), Is.EqualTo(big));
    }

    /// <summary>Starts a device whose repository serves <see cref="Model"/> version 1 (the demo network).</summary>
    private static async Task<EdgeRuntimeProcess> StartDeviceServingV1Async(Fleet fleet, string deviceId, string password, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dataDirectory = Path.Combine(fleet.Root, deviceId);
        TestRepository.WriteModel(Path.Combine(dataDirectory, "models"), Model, 1, SyntheticModels.Demo().Bytes);
        var device = await fleet.StartDeviceAsync(deviceId, password, dataDirectory, environment);
        await device.WaitReadyAsync();

        // The hub learns what the device serves once its model has loaded, whichever came first, connect or load.
        await Wait.UntilAsync(async () => await fleet.DeviceAsync(deviceId) is var status
            && status["online"]!.GetValue<bool>()
            && status["models"]!.AsArray().Any(m => m!["name"]!.GetValue<string>() == Model && m["version"]!.GetValue<string>() == "1" && m["state"]!.GetValue<string>() == "READY"));
        return device;
    }

    /// <summary>The version that answers an inference on the model's default route.</summary>
    private static async Task<string?> ServedVersionAsync(EdgeRuntimeProcess device)
    {
        using var client = device.CreateClient();
        var (status, body) = await Oip.PostJsonAsync(client, $"/v2/models/{Model}/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        return status == 200 ? body!["model_version"]!.GetValue<string>() : null;
    }
}
