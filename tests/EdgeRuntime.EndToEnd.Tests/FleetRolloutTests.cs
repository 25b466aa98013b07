using System.Text.Json.Nodes;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.EndToEnd.Tests.Infrastructure;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests;

/// <summary>
/// Rollouts across real processes: the hub signs what it distributes, real <c>edge-runtime</c> devices stage it and
/// report their rollouts; a ring deployment of a version that does not load stops in its first ring and takes that
/// ring back, a good one reaches every device, and a canary finishes on the hub's promote command.
/// </summary>
[TestFixture(BrokerKind.Embedded)]
public sealed class FleetRolloutTests(BrokerKind broker)
{
    private const string Model = "sensor";
    private const string Tag = "line-9";

    /// <summary>Version 2 cannot load: the first ring's device refuses it, the deployment rolls back, the second device never gets it.</summary>
    [Test]
    public async Task Deployment_VersionThatDoesNotLoad_HaltsAtTheFirstRingAndRollsItBack()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var devices = await StartLineAsync(fleet);
        await fleet.UploadModelAsync(Model, 2, "this is not an ONNX model"u8.ToArray());

        var deployment = await CreateDeploymentAsync(fleet, "bad-v2");

        await Wait.UntilAsync(async () => (await DeploymentAsync(fleet, "bad-v2"))["state"]!.GetValue<string>() == "rolled_back");
        var result = await DeploymentAsync(fleet, "bad-v2");
        var members = (await fleet.SendAsync(HttpMethod.Get, "/api/deployments/bad-v2/devices"))!.AsArray();
        var first = members.Single(m => m!["ring"]!.GetValue<int>() == 0)!["device_id"]!.GetValue<string>();
        var second = members.Single(m => m!["ring"]!.GetValue<int>() == 1)!["device_id"]!.GetValue<string>();
        Assert.Multiple(() =>
        {
            Assert.That(result["current_ring"]!.GetValue<int>(), Is.EqualTo(0), deployment.ToJsonString());
            Assert.That(result["rings"]![0]!["failed"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(result["reason"]!.GetValue<string>(), Does.Contain(first).And.Contain("load"));
        });

        // Both still serve version 1; the second ring's device never downloaded version 2.
        foreach (var device in devices.Values)
        {
            Assert.That(await ServedVersionAsync(device), Is.EqualTo("1"));
        }

        Assert.That((await fleet.EventsAsync(second, "artifact_download_started")).Where(e => e!["version"]!.GetValue<string>() == "2"), Is.Empty);
        // The device's status (which the hub halts on) is sent at once; its events go through the telemetry store and
        // the uplink, and may reach the hub later.
        await Wait.UntilAsync(async () => (await fleet.EventsAsync(first, "staging_failed")).Count > 0);
        var failed = await fleet.EventsAsync(first, "staging_failed");
        Assert.That(failed[0]!["payload"]!["step"]!.GetValue<string>(), Is.EqualTo("load"));
        Assert.That(failed[0]!["payload"]!["deployment_id"]!.GetValue<string>(), Is.EqualTo("bad-v2"));
    }

    /// <summary>A good version goes ring by ring to every device and the deployment completes.</summary>
    [Test]
    public async Task Deployment_GoodVersion_ReachesEveryDeviceRingByRing()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var devices = await StartLineAsync(fleet);
        await fleet.UploadModelAsync(Model, 2, SyntheticModels.FloatMlp().Bytes);

        await CreateDeploymentAsync(fleet, "good-v2");

        await Wait.UntilAsync(async () => (await DeploymentAsync(fleet, "good-v2"))["state"]!.GetValue<string>() == "completed");
        foreach (var (id, device) in devices)
        {
            Assert.That(await ServedVersionAsync(device), Is.EqualTo("2"), id);
            var rollout = (await fleet.DeviceAsync(id))["rollouts"]!.AsArray().Single(r => r!["model"]!.GetValue<string>() == Model)!;
            Assert.That(rollout["stable"]!.GetValue<string>(), Is.EqualTo("2"));
            Assert.That(rollout["last_outcome"]!.GetValue<string>(), Is.EqualTo("promoted"));
        }
    }

    /// <summary>An assignment with a 50 % canary: both versions answer until the hub's promote command makes 2 stable.</summary>
    [Test]
    public async Task Canary_HubPromoteCommand_MakesTheCandidateStable()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var devices = await StartLineAsync(fleet, count: 1);
        var (id, device) = devices.Single();
        await fleet.UploadModelAsync(Model, 2, SyntheticModels.FloatMlp().Bytes);

        await fleet.SendAsync(HttpMethod.Post, "/api/assignments", new JsonObject
        {
            ["model"] = Model,
            ["version"] = "2",
            ["device_id"] = id,
            ["rollout"] = new JsonObject { ["strategy"] = "canary", ["split_percent"] = 50 },
        });
        await Wait.UntilAsync(async () => (await fleet.DeviceAsync(id))["rollouts"]?.AsArray()
            .Any(r => r!["model"]!.GetValue<string>() == Model && r["phase"]?.GetValue<string>() == "canary") == true);
        var answered = new HashSet<string?>();
        for (var i = 0; i < 60; i++)
        {
            answered.Add(await ServedVersionAsync(device));
        }

        Assert.That(answered, Is.EquivalentTo(new[] { "1", "2" }), "a 50 % canary answers with both versions");

        var command = await fleet.SendAsync(HttpMethod.Post, $"/api/devices/{id}/commands", new JsonObject
        {
            ["name"] = "promote",
            ["arguments"] = new JsonObject { ["model"] = Model },
        });
        var commandId = command!["id"]!.GetValue<string>();
        await Wait.UntilAsync(async () => (await fleet.SendAsync(HttpMethod.Get, $"/api/devices/{id}/commands/{commandId}"))?["result"]?["ok"]?.GetValue<bool>() == true);
        Assert.That(await ServedVersionAsync(device), Is.EqualTo("2"));
        await Wait.UntilAsync(async () => (await fleet.DeviceAsync(id))["rollouts"]!.AsArray()
            .Any(r => r!["model"]!.GetValue<string>() == Model && r["stable"]?.GetValue<string>() == "2" && r["phase"]!.GetValue<string>() == "stable"));
    }

    /// <summary>
    /// Registers <paramref name="count"/> devices with the line's tag, assigns them version 1 (which each already serves
    /// from its own repository), and starts them.
    /// </summary>
    private static async Task<Dictionary<string, EdgeRuntimeProcess>> StartLineAsync(Fleet fleet, int count = 2)
    {
        await fleet.UploadModelAsync(Model, 1, SyntheticModels.Demo().Bytes);
        await fleet.SendAsync(HttpMethod.Post, "/api/assignments", new JsonObject { ["model"] = Model, ["version"] = "1", ["tag"] = Tag });
        var devices = new Dictionary<string, EdgeRuntimeProcess>();
        for (var i = 1; i <= count; i++)
        {
            var id = $"press-{i}";
            var password = await fleet.RegisterDeviceAsync(id, Tag);
            var data = Path.Combine(fleet.Root, id);
            TestRepository.WriteModel(Path.Combine(data, "models"), Model, 1, SyntheticModels.Demo().Bytes);
            var device = await fleet.StartDeviceAsync(id, password, data);
            await device.WaitReadyAsync();
            devices[id] = device;
        }

        foreach (var id in devices.Keys)
        {
            await Wait.UntilAsync(async () => await fleet.DeviceAsync(id) is var status
                && status["online"]!.GetValue<bool>()
                && status["applied_revision"]!.GetValue<long>() >= 1);
        }

        return devices;
    }

    private static async Task<JsonNode> CreateDeploymentAsync(Fleet fleet, string id) =>
        (await fleet.SendAsync(HttpMethod.Post, "/api/deployments", new JsonObject
        {
            ["id"] = id,
            ["model"] = Model,
            ["version"] = "2",
            ["tag"] = Tag,
            ["rings"] = new JsonArray(50, 100),
        }))!;

    private static async Task<JsonNode> DeploymentAsync(Fleet fleet, string id) =>
        (await fleet.SendAsync(HttpMethod.Get, $"/api/deployments/{id}"))!;

    private static async Task<string?> ServedVersionAsync(EdgeRuntimeProcess device)
    {
        using var client = device.CreateClient();
        var (status, body) = await Oip.PostJsonAsync(client, $"/v2/models/{Model}/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        return status == 200 ? body!["model_version"]!.GetValue<string>() : null;
    }
}
