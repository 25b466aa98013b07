using System.Net.Http.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Tests;

/// <summary><c>/api/deployments</c>: what it refuses and why, and how deployments are listed, through a real Kestrel listener.</summary>
[TestFixture]
public sealed class DeploymentEndpointsTests
{
    private static readonly DeploymentRequest Valid = new() { Model = "m", Version = "2", Tag = "line-1", RingBakeSeconds = 3600 };

    /// <summary>Each malformed or impossible request gets its status and an error that says what is wrong.</summary>
    [Test]
    public async Task Create_InvalidRequests_AreRefusedWithClearErrors()
    {
        await using var hub = await StartAsync();
        await hub.UploadAsync("m", 3, [3]);
        using (await hub.Http.PostAsync("/api/models/m/versions/3/retire", null))
        {
        }

        var cases = new (DeploymentRequest Request, int Status, string Error)[]
        {
            (Valid with { Version = null }, 400, "model and version"),
            (Valid with { Version = "0" }, 400, "model and version"),
            (Valid with { Tag = null }, 400, "give tag and/or device_ids"),
            (Valid with { Tag = null, DeviceIds = [] }, 400, "give tag and/or device_ids"),
            (Valid with { Tag = "no-such-tag" }, 400, "no target devices"),
            (Valid with { Tag = "a/b" }, 400, "tag 'a/b' is not valid"),
            (Valid with { Id = "a/b" }, 400, "id 'a/b' is not valid"),
            (Valid with { Rings = [10, 5, 100] }, 400, "strictly increasing"),
            (Valid with { Rings = [10, 50] }, 400, "the last ring must be 100"),
            (Valid with { Rings = [0, 100] }, 400, "rings[0] must be above 0"),
            (Valid with { Rings = [] }, 400, "rings must list"),
            (Valid with { SuccessThreshold = 0 }, 400, "success_threshold"),
            (Valid with { SuccessThreshold = 1.5 }, 400, "success_threshold"),
            (Valid with { ErrorThreshold = 1 }, 400, "error_threshold"),
            (Valid with { ErrorThreshold = -0.1 }, 400, "error_threshold"),
            (Valid with { RingBakeSeconds = -1 }, 400, "ring_bake_seconds"),
            (Valid with { Rollout = new RolloutSpec { Strategy = "big_bang" } }, 400, "strategy 'big_bang' is not known"),
            (Valid with { Rollout = new RolloutSpec { Strategy = RolloutStrategies.Canary, SplitPercent = 150 } }, 400, "split_percent"),
            (Valid with { Rollout = new RolloutSpec { DeploymentId = "x" } }, 400, "deployment_id is set by the hub"),
            (Valid with { Version = "9" }, 404, "model 'm' version 9 is not registered"),
            (Valid with { Model = "other" }, 404, "model 'other' version 2 is not registered"),
            (Valid with { Tag = null, DeviceIds = ["dev-a", "ghost"] }, 404, "device 'ghost' is not registered"),
            (Valid with { Version = "3" }, 409, "retired"),
        };
        var answers = new List<(int Status, string? Error)>();
        foreach (var (request, _, _) in cases)
        {
            using var response = await hub.Http.PostAsJsonAsync("/api/deployments", request, FleetJsonContext.Default.DeploymentRequest);
            answers.Add(((int)response.StatusCode, (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.ErrorResponse))?.Error));
        }

        var listed = await hub.GetAsync("/api/deployments", FleetJsonContext.Default.IReadOnlyListDeploymentResponse);
        Assert.Multiple(() =>
        {
            for (var i = 0; i < cases.Length; i++)
            {
                Assert.That(answers[i].Status, Is.EqualTo(cases[i].Status), $"{cases[i].Request}: {answers[i].Error}");
                Assert.That(answers[i].Error, Does.Contain(cases[i].Error), $"{cases[i].Request}");
            }

            Assert.That(listed, Is.Empty);
        });
    }

    /// <summary>A second running deployment of the same model may not share devices with the first; other models and other devices may.</summary>
    [Test]
    public async Task Create_OverlappingRunningDeploymentOfSameModel_Returns409()
    {
        await using var hub = await StartAsync();
        await hub.UploadAsync("n", 1, [9]);
        await hub.RegisterAsync("dev-c", "line-2");
        var first = await CreateAsync(hub, Valid with { Id = "first" });
        using var overlapping = await hub.Http.PostAsJsonAsync("/api/deployments", Valid with { Tag = null, DeviceIds = ["dev-b"] }, FleetJsonContext.Default.DeploymentRequest);
        var overlapError = (await overlapping.Content.ReadFromJsonAsync(FleetJsonContext.Default.ErrorResponse))!.Error;
        using var sameId = await hub.Http.PostAsJsonAsync("/api/deployments", Valid with { Id = "first", Tag = "line-2" }, FleetJsonContext.Default.DeploymentRequest);
        var otherDevices = await CreateAsync(hub, Valid with { Tag = "line-2" });
        var otherModel = await CreateAsync(hub, Valid with { Model = "n", Version = "1" });
        using var retire = await hub.Http.PostAsync("/api/models/m/versions/2/retire", null);
        var running = await hub.GetAsync("/api/deployments?model=m&state=running", FleetJsonContext.Default.IReadOnlyListDeploymentResponse);
        using var missing = await hub.Http.GetAsync("/api/deployments/no-such-deployment");
        Assert.Multiple(() =>
        {
            Assert.That(first.Id, Is.EqualTo("first"));
            Assert.That(first.Devices, Is.EqualTo(2));
            Assert.That((int)overlapping.StatusCode, Is.EqualTo(409));
            Assert.That(overlapError, Does.Contain("deployment 'first'").And.Contain("dev-b"));
            Assert.That((int)sameId.StatusCode, Is.EqualTo(409));
            Assert.That(otherDevices.State, Is.EqualTo(DeploymentStates.Running));
            Assert.That(otherModel.State, Is.EqualTo(DeploymentStates.Running));
            Assert.That((int)retire.StatusCode, Is.EqualTo(409), "a version a deployment is rolling out cannot be retired");
            Assert.That(running.Select(d => d.Id), Is.EquivalentTo(new[] { "first", otherDevices.Id }));
            Assert.That((int)missing.StatusCode, Is.EqualTo(404));
        });
    }

    /// <summary>Defaults: rings 1/10/50/100, success threshold 1, error threshold 0, no bake, immediate strategy; the target is the union of tag and ids.</summary>
    [Test]
    public async Task Create_WithDefaults_ReportsDefaultsAndMembersOfTagAndIds()
    {
        await using var hub = await StartAsync();
        await hub.RegisterAsync("dev-c");
        using var response = await hub.Http.PostAsJsonAsync("/api/deployments", new DeploymentRequest { Model = "m", Version = "2", Tag = "line-1", DeviceIds = ["dev-c", "dev-a"] }, FleetJsonContext.Default.DeploymentRequest);
        var created = (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.DeploymentResponse))!;
        var members = await hub.GetAsync($"/api/deployments/{created.Id}/devices", FleetJsonContext.Default.IReadOnlyListDeploymentDevice);
        var desired = await hub.GetAsync($"/api/devices/{members[0].DeviceId}/desired", FleetJsonContext.Default.DesiredState);
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(201));
            Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/api/deployments/{created.Id}"));
            Assert.That(created.Rings.Select(r => r.Percent), Is.EqualTo(new[] { 1.0, 10, 50, 100 }));
            Assert.That(created.Rings.Select(r => r.Devices), Is.EqualTo(new[] { 1, 0, 1, 1 }));
            Assert.That((created.SuccessThreshold, created.ErrorThreshold, created.RingBakeSeconds), Is.EqualTo((1.0, 0.0, 0)));
            Assert.That(created.Rollout.Strategy, Is.EqualTo(RolloutStrategies.Immediate));
            Assert.That(created.DeviceIds, Is.EqualTo(new[] { "dev-c", "dev-a" }));
            Assert.That(members.Select(m => m.DeviceId), Is.EquivalentTo(new[] { "dev-a", "dev-b", "dev-c" }));
            Assert.That(members.Select(m => (m.Reached, m.Outcome)), Is.EqualTo(new[] { (true, "pending"), (false, "pending"), (false, "pending") }));
            Assert.That(desired.Models.Single().Version, Is.EqualTo("2"));
            Assert.That(desired.Models.Single().Rollout.DeploymentId, Is.EqualTo(created.Id));
        });
    }

    /// <summary>Routes are behind the bearer token like the rest of <c>/api</c>.</summary>
    [Test]
    public async Task Deployments_WithoutToken_Return401()
    {
        await using var hub = await TestHub.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = hub.BaseAddress };
        using var list = await anonymous.GetAsync("/api/deployments");
        using var halt = await anonymous.PostAsync("/api/deployments/x/halt", null);
        Assert.That(((int)list.StatusCode, (int)halt.StatusCode), Is.EqualTo((401, 401)));
    }

    /// <summary>A hub with devices dev-a and dev-b tagged line-1, and versions 1 (assigned to the tag) and 2 of model m.</summary>
    private static async Task<TestHub> StartAsync()
    {
        var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-a", "line-1");
        await hub.RegisterAsync("dev-b", "line-1");
        await hub.UploadAsync("m", 1, [1]);
        await hub.UploadAsync("m", 2, [2]);
        await hub.AssignAsync("m", 1, tag: "line-1");
        return hub;
    }

    private static async Task<DeploymentResponse> CreateAsync(TestHub hub, DeploymentRequest request)
    {
        using var response = await hub.Http.PostAsJsonAsync("/api/deployments", request, FleetJsonContext.Default.DeploymentRequest);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.DeploymentResponse))!;
    }
}
