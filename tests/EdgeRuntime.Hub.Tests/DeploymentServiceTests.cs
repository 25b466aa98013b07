using System.Net.Http.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Deployments;

namespace EdgeRuntime.Hub.Tests;

/// <summary>Fleet deployments over simulated devices that speak the real MQTT protocol to the real hub.</summary>
[TestFixture]
public sealed class DeploymentServiceTests
{
    private static readonly double[] FourRings = [5, 25, 50, 100];

    /// <summary>A version every device promotes reaches the rings one after the other, each only after the one before promoted it.</summary>
    [Test]
    public async Task Deploy_GoodVersion_AdvancesRingByRingToCompletedAndEveryDeviceDesiresIt()
    {
        await using var fleet = await SimulatedFleet.StartAsync(20);
        var created = await fleet.DeployAsync(new DeploymentRequest { Model = SimulatedFleet.Model, Version = "2", Tag = SimulatedFleet.Tag, Rings = FourRings });
        var done = await fleet.WaitForStateAsync(created.Id, DeploymentStates.Completed);
        var rings = await fleet.RingsAsync(created.Id);
        var desired = await Task.WhenAll(fleet.Devices.Select(d => fleet.DesiredAsync(d.DeviceId)));
        await Eventually.HoldsAsync(() => fleet.Devices.All(d => d.Stable(SimulatedFleet.Model) == "2"), "every device serves version 2");
        var assignments = await fleet.Hub.GetAsync("/api/assignments", FleetJsonContext.Default.IReadOnlyListAssignmentResponse);
        Assert.Multiple(() =>
        {
            Assert.That(created.State, Is.EqualTo(DeploymentStates.Running));
            Assert.That(created.Rings.Select(r => r.Devices), Is.EqualTo(new[] { 1, 4, 5, 10 }));
            Assert.That(created.Rings.Select(r => r.State), Is.EqualTo(new[] { "running", "waiting", "waiting", "waiting" }));
            Assert.That(done.Rings.Select(r => r.Succeeded), Is.EqualTo(new[] { 1, 4, 5, 10 }));
            Assert.That(done.Rings.Select(r => r.State), Is.All.EqualTo(DeploymentRingStates.Succeeded));
            Assert.That(done.Transitions.Select(t => (t.State, t.Ring)), Is.EqualTo(new[]
            {
                ("running", 0), ("running", 1), ("running", 2), ("running", 3), ("completed", 3),
            }));
            Assert.That(desired.Select(d => d.Version), Is.All.EqualTo("2"));
            Assert.That(assignments.Where(a => a.Version == "2").Select(a => (a.Tag, a.DeviceId)), Is.EqualTo(new[] { ((string?)SimulatedFleet.Tag, (string?)null) }));
            Assert.That(done.AssignmentIds, Has.Count.EqualTo(1));
        });

        // Ring by ring: no device of a ring was given the version before every device of the ring before had promoted it.
        for (var ring = 1; ring < 4; ring++)
        {
            var lastPromotedBefore = rings[ring - 1].Max(id => fleet.Log.First(id, SimulationLog.Promoted, "2") ?? long.MaxValue);
            var firstDesired = rings[ring].Min(id => fleet.Log.First(id, SimulationLog.Desired, "2") ?? -1);
            Assert.That(firstDesired, Is.GreaterThan(lastPromotedBefore), $"ring {ring} started after ring {ring - 1} promoted the version");
        }
    }

    /// <summary>A version that fails everywhere stops in the first ring, and only that ring ever had it.</summary>
    [Test]
    public async Task Deploy_BadVersion_HaltsAtFirstRingRollsItBackAndLaterRingsNeverGetIt()
    {
        await using var fleet = await SimulatedFleet.StartAsync(20, _ => new HashSet<string> { "2" });
        var created = await fleet.DeployAsync(new DeploymentRequest { Model = SimulatedFleet.Model, Version = "2", Tag = SimulatedFleet.Tag, Rings = FourRings });
        var done = await fleet.WaitForStateAsync(created.Id, DeploymentStates.RolledBack);
        var rings = await fleet.RingsAsync(created.Id);
        var first = rings[0].Single();
        await Eventually.HoldsAsync(async () => (await fleet.DesiredAsync(first)).Version == "1", "the first ring's device desires version 1 again");
        var firstDesired = await fleet.DesiredAsync(first);
        await Eventually.HoldsAsync(() => fleet.Device(first).DesiredStates.Last().Models.Single().Version == "1", "the device received version 1 again");
        var others = fleet.Devices.Where(d => d.DeviceId != first).ToList();
        var othersDesired = await Task.WhenAll(others.Select(d => fleet.DesiredAsync(d.DeviceId)));
        Assert.Multiple(() =>
        {
            Assert.That(done.CurrentRing, Is.EqualTo(0));
            Assert.That(done.Rings.Select(r => r.State), Is.EqualTo(new[] { "rolled_back", "waiting", "waiting", "waiting" }));
            Assert.That(done.Rings[0].Failed, Is.EqualTo(1));
            Assert.That(done.Reason, Does.Contain("ring 0").And.Contain(first).And.Contain("error_rate"));
            Assert.That(done.Failures.Select(f => f.DeviceId), Is.EqualTo(new[] { first }));
            Assert.That(done.Failures[0].Reason, Does.StartWith("rolled_back: guardrail error_rate"));
            Assert.That(firstDesired, Is.EqualTo(("1", 3L)), "version 1 at a higher revision than the deployment's");
            Assert.That(fleet.Device(first).EverDesired(SimulatedFleet.Model, "2"), Is.True);
            Assert.That(others.Where(d => d.EverDesired(SimulatedFleet.Model, "2")).Select(d => d.DeviceId), Is.Empty);
            Assert.That(othersDesired, Is.All.EqualTo(("1", 1L)));
        });
    }

    /// <summary>A version that fails on one device of the third ring passes the first two and rolls all three back.</summary>
    [Test]
    public async Task Deploy_VersionFailingOnSomeDevices_PassesFirstRingsAndRollsBackWhereItFails()
    {
        const string Id = "mixed-rollout";
        var ids = SimulatedFleet.DeviceIds(20);
        var order = DeploymentRings.Order(Id, ids);
        var ringOf = DeploymentRings.RingOfPositions(FourRings, ids.Count);
        var ringOfDevice = order.Select((id, position) => (id, ring: ringOf[position])).ToDictionary(x => x.id, x => x.ring);
        var bad = new HashSet<string> { order.First(id => ringOfDevice[id] == 2), order.First(id => ringOfDevice[id] == 3) };
        await using var fleet = await SimulatedFleet.StartAsync(20, id => bad.Contains(id) ? new HashSet<string> { "2" } : new HashSet<string>());

        await fleet.DeployAsync(new DeploymentRequest { Id = Id, Model = SimulatedFleet.Model, Version = "2", Tag = SimulatedFleet.Tag, Rings = FourRings });
        var done = await fleet.WaitForStateAsync(Id, DeploymentStates.RolledBack);
        var reached = ids.Where(id => ringOfDevice[id] <= 2).ToList();
        var failing = bad.Single(id => ringOfDevice[id] == 2);
        await Eventually.HoldsAsync(() => reached.All(id => fleet.Device(id).Stable(SimulatedFleet.Model) == "1"), "every device reached serves version 1 again");
        var reachedDesired = await Task.WhenAll(reached.Select(fleet.DesiredAsync));
        var unreached = ids.Where(id => ringOfDevice[id] == 3).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(done.CurrentRing, Is.EqualTo(2));
            Assert.That(done.Rings.Select(r => r.State), Is.EqualTo(new[] { "rolled_back", "rolled_back", "rolled_back", "waiting" }));
            Assert.That(done.Rings.Take(2).Select(r => r.Succeeded), Is.EqualTo(new[] { 1, 4 }));
            Assert.That(done.Rings[2].Failed, Is.EqualTo(1));
            Assert.That(done.Reason, Does.Contain("ring 2").And.Contain(failing));
            Assert.That(done.Transitions.Select(t => (t.State, t.Ring)), Is.EqualTo(new[] { ("running", 0), ("running", 1), ("running", 2), ("rolled_back", 2) }));
            Assert.That(reachedDesired.Select(d => d.Version), Is.All.EqualTo("1"));
            Assert.That(reachedDesired.Select(d => d.Revision), Is.All.EqualTo(3));
            Assert.That(unreached.Where(id => fleet.Device(id).EverDesired(SimulatedFleet.Model, "2")), Is.Empty);
        });
    }

    /// <summary>Halt, advance, resume and rollback by hand move the deployment exactly as asked; an ended one refuses them.</summary>
    [Test]
    public async Task HaltAdvanceResumeRollback_ByHand_MoveTheDeploymentAsAsked()
    {
        await using var fleet = await SimulatedFleet.StartAsync(20);

        // An hour's bake: the rings move only by hand.
        var created = await fleet.DeployAsync(new DeploymentRequest
        {
            Model = SimulatedFleet.Model,
            Version = "2",
            Tag = SimulatedFleet.Tag,
            Rings = FourRings,
            RingBakeSeconds = 3600,
        });
        await Eventually.HoldsAsync(async () => (await fleet.GetAsync(created.Id)).Rings[0].Succeeded == 1, "ring 0 promoted");
        var halted = await fleet.ActAsync(created.Id, "halt");
        var haltedAgain = await fleet.ActAsync(created.Id, "halt");
        var advanced = await fleet.ActAsync(created.Id, "advance");
        await Eventually.HoldsAsync(async () => (await fleet.GetAsync(created.Id)).Rings[1].Succeeded == 4, "ring 1 promoted while halted");
        var resumed = await fleet.ActAsync(created.Id, "resume");
        var rolledBack = await fleet.ActAsync(created.Id, "rollback");
        var rings = await fleet.RingsAsync(created.Id);
        var reached = rings[0].Concat(rings[1]).ToList();
        await Eventually.HoldsAsync(() => reached.All(id => fleet.Device(id).Stable(SimulatedFleet.Model) == "1"), "the devices reached serve version 1 again");
        var reachedDesired = await Task.WhenAll(reached.Select(fleet.DesiredAsync));
        var resumeEnded = await fleet.ActAsync(created.Id, "resume");
        var advanceEnded = await fleet.ActAsync(created.Id, "advance");
        var cancelEnded = await fleet.ActAsync(created.Id, "cancel");
        var rollbackAgain = await fleet.ActAsync(created.Id, "rollback");
        var unknown = await fleet.ActAsync("no-such-deployment", "halt");
        Assert.Multiple(() =>
        {
            Assert.That(halted, Is.EqualTo((200, halted.Deployment)));
            Assert.That(halted.Deployment!.State, Is.EqualTo(DeploymentStates.Halted));
            Assert.That(halted.Deployment.Rings[0].State, Is.EqualTo(DeploymentRingStates.Halted));
            Assert.That(haltedAgain.Status, Is.EqualTo(200));
            Assert.That((advanced.Deployment!.State, advanced.Deployment.CurrentRing), Is.EqualTo((DeploymentStates.Halted, 1)));
            Assert.That((resumed.Deployment!.State, resumed.Deployment.CurrentRing), Is.EqualTo((DeploymentStates.Running, 1)));
            Assert.That(rolledBack.Deployment!.State, Is.EqualTo(DeploymentStates.RolledBack));
            Assert.That(rolledBack.Deployment.Reason, Is.EqualTo("rolled back by hand"));
            Assert.That(rolledBack.Deployment.Transitions.Select(t => t.State), Is.EqualTo(new[] { "running", "halted", "halted", "running", "rolled_back" }));
            Assert.That(reachedDesired.Select(d => d.Version), Is.All.EqualTo("1"));
            Assert.That(fleet.Devices.Where(d => !reached.Contains(d.DeviceId) && d.EverDesired(SimulatedFleet.Model, "2")), Is.Empty);
            Assert.That((resumeEnded.Status, advanceEnded.Status, cancelEnded.Status), Is.EqualTo((409, 409, 409)));
            Assert.That(rollbackAgain.Status, Is.EqualTo(200));
            Assert.That(unknown.Status, Is.EqualTo(404));
        });
    }

    /// <summary>Cancelling keeps the version where it arrived and frees the devices for the next deployment.</summary>
    [Test]
    public async Task Cancel_AfterSecondRing_ReachedDevicesKeepTheVersionOthersKeepTheirs()
    {
        await using var fleet = await SimulatedFleet.StartAsync(8);
        var created = await fleet.DeployAsync(new DeploymentRequest
        {
            Model = SimulatedFleet.Model,
            Version = "2",
            Tag = SimulatedFleet.Tag,
            Rings = [25, 50, 100],
            RingBakeSeconds = 3600,
        });
        await fleet.ActAsync(created.Id, "advance");
        await Eventually.HoldsAsync(async () => (await fleet.GetAsync(created.Id)).Rings[1].Succeeded == 2, "ring 1 promoted");
        var (status, cancelled) = await fleet.ActAsync(created.Id, "cancel");
        var rings = await fleet.RingsAsync(created.Id);
        var desired = (await Task.WhenAll(fleet.Devices.Select(async d => (d.DeviceId, (await fleet.DesiredAsync(d.DeviceId)).Version)))).ToDictionary();
        var next = await fleet.DeployAsync(new DeploymentRequest { Model = SimulatedFleet.Model, Version = "3", Tag = SimulatedFleet.Tag });
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(200));
            Assert.That(cancelled!.State, Is.EqualTo(DeploymentStates.Cancelled));
            Assert.That(cancelled.AssignmentIds, Has.Count.EqualTo(4), "a device assignment per device reached");
            Assert.That(rings[0].Concat(rings[1]).Select(id => desired[id]), Is.All.EqualTo("2"));
            Assert.That(rings[2].Select(id => desired[id]), Is.All.EqualTo("1"));
            Assert.That(next.State, Is.EqualTo(DeploymentStates.Running), "a cancelled deployment no longer holds its devices");
        });
    }

    /// <summary>A completed deployment hands its devices to the assignments: a newer tag assignment applies to them.</summary>
    [Test]
    public async Task Complete_ThenNewerTagAssignment_DevicesFollowTheAssignment()
    {
        await using var fleet = await SimulatedFleet.StartAsync(4);
        var created = await fleet.DeployAsync(new DeploymentRequest { Model = SimulatedFleet.Model, Version = "2", Tag = SimulatedFleet.Tag });
        await fleet.WaitForStateAsync(created.Id, DeploymentStates.Completed);
        var before = await Task.WhenAll(fleet.Devices.Select(d => fleet.DesiredAsync(d.DeviceId)));
        await fleet.Hub.AssignAsync(SimulatedFleet.Model, 3, tag: SimulatedFleet.Tag);
        await Eventually.HoldsAsync(() => fleet.Devices.All(d => d.Stable(SimulatedFleet.Model) == "3"), "every device serves version 3");
        Assert.That(before.Select(d => d.Version), Is.All.EqualTo("2"));
    }

    /// <summary>A deployment survives a hub restart in the state and ring it had, and goes on from there.</summary>
    [Test]
    public async Task Restart_RunningDeployment_KeepsStateRingAndDesiredStates()
    {
        var data = TestHub.NewDataDirectory();
        try
        {
            string id;
            await using (var first = await TestHub.StartAsync(data))
            {
                await first.UploadAsync("m", 1, [1]);
                await first.UploadAsync("m", 2, [2]);
                foreach (var device in SimulatedFleet.DeviceIds(4))
                {
                    await first.RegisterAsync(device, "t");
                }

                await first.AssignAsync("m", 1, tag: "t");
                using var response = await first.Http.PostAsJsonAsync(
                    "/api/deployments",
                    new DeploymentRequest { Model = "m", Version = "2", Tag = "t", Rings = [50, 100], RingBakeSeconds = 3600 },
                    FleetJsonContext.Default.DeploymentRequest);
                id = (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.DeploymentResponse))!.Id;
                await first.StopKeepingDataAsync();
            }

            await using var second = await TestHub.StartAsync(data);
            var deployment = await second.GetAsync($"/api/deployments/{id}", FleetJsonContext.Default.DeploymentResponse);
            var members = await second.GetAsync($"/api/deployments/{id}/devices", FleetJsonContext.Default.IReadOnlyListDeploymentDevice);
            var versions = new Dictionary<string, string>();
            foreach (var member in members)
            {
                var desired = await second.GetAsync($"/api/devices/{member.DeviceId}/desired", FleetJsonContext.Default.DesiredState);
                versions[member.DeviceId] = desired.Models.Single().Version;
            }

            using var advanced = await second.Http.PostAsync($"/api/deployments/{id}/advance", null);
            var after = await second.GetAsync($"/api/deployments/{id}", FleetJsonContext.Default.DeploymentResponse);
            var all = await Task.WhenAll(members.Select(m => second.GetAsync($"/api/devices/{m.DeviceId}/desired", FleetJsonContext.Default.DesiredState)));
            Assert.Multiple(() =>
            {
                Assert.That((deployment.State, deployment.CurrentRing), Is.EqualTo((DeploymentStates.Running, 0)));
                Assert.That(members.Where(m => m.Ring == 0).Select(m => versions[m.DeviceId]), Is.All.EqualTo("2"));
                Assert.That(members.Where(m => m.Ring == 1).Select(m => versions[m.DeviceId]), Is.All.EqualTo("1"));
                Assert.That((int)advanced.StatusCode, Is.EqualTo(200));
                Assert.That(after.CurrentRing, Is.EqualTo(1));
                Assert.That(all.Select(d => d.Models.Single().Version), Is.All.EqualTo("2"));
                Assert.That(all.Select(d => d.Models.Single().Rollout.DeploymentId), Is.All.EqualTo(id));
            });
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
