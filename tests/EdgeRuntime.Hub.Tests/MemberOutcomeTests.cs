using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Deployments;

namespace EdgeRuntime.Hub.Tests;

/// <summary>How a member's reported rollout counts for a deployment of version 2 with id d1.</summary>
[TestFixture]
public sealed class MemberOutcomeTests
{
    private static readonly DeviceRolloutStatus Serving1 = new()
    {
        Model = "m",
        Stable = "1",
        Phase = RolloutPhases.Stable,
        LastVersion = "1",
        LastOutcome = RolloutOutcomes.Promoted,
    };

    /// <summary>Each reported state maps to its outcome.</summary>
    [Test]
    public void Evaluate_ReportedRollouts_MapToOutcomes()
    {
        string Outcome(DeviceRolloutStatus? rollout) => MemberOutcome.Evaluate(rollout is null ? null : [rollout], "m", "2", "d1").Outcome;
        Assert.Multiple(() =>
        {
            Assert.That(Outcome(null), Is.EqualTo(DeploymentDeviceOutcomes.Pending), "no status yet");
            Assert.That(Outcome(Serving1 with { Model = "other" }), Is.EqualTo(DeploymentDeviceOutcomes.Pending), "another model");
            Assert.That(Outcome(Serving1), Is.EqualTo(DeploymentDeviceOutcomes.Pending), "still on the old version");
            Assert.That(Outcome(Serving1 with { Candidate = "2", Phase = RolloutPhases.Staging }), Is.EqualTo(DeploymentDeviceOutcomes.InProgress));
            Assert.That(Outcome(Serving1 with { Candidate = "2", Phase = RolloutPhases.Canary, DeploymentId = "d1" }), Is.EqualTo(DeploymentDeviceOutcomes.InProgress));
            Assert.That(Outcome(Serving1 with { Stable = "2", LastVersion = "2" }), Is.EqualTo(DeploymentDeviceOutcomes.Succeeded));
            Assert.That(Outcome(Serving1 with { Stable = "2", Candidate = "3", Phase = RolloutPhases.Canary }), Is.EqualTo(DeploymentDeviceOutcomes.Pending), "counted once the device settles");
            Assert.That(Outcome(Serving1 with { LastVersion = "2", LastOutcome = RolloutOutcomes.RolledBack, DeploymentId = "d1" }), Is.EqualTo(DeploymentDeviceOutcomes.Failed));
            Assert.That(Outcome(Serving1 with { LastVersion = "2", LastOutcome = RolloutOutcomes.Failed }), Is.EqualTo(DeploymentDeviceOutcomes.Failed), "a device that does not echo deployment ids");
            Assert.That(Outcome(Serving1 with { LastVersion = "2", LastOutcome = RolloutOutcomes.RolledBack, DeploymentId = "d0" }), Is.EqualTo(DeploymentDeviceOutcomes.Pending), "a failure in an earlier deployment");
        });
    }

    /// <summary>A failure carries the device's outcome and reason.</summary>
    [Test]
    public void Evaluate_RolledBack_ReasonNamesOutcomeAndDevicesReason()
    {
        var (_, reason) = MemberOutcome.Evaluate([Serving1 with { LastVersion = "2", LastOutcome = RolloutOutcomes.RolledBack, LastReason = "latency 3.1x" }], "m", "2", "d1");
        Assert.That(reason, Is.EqualTo("rolled_back: latency 3.1x"));
    }
}
