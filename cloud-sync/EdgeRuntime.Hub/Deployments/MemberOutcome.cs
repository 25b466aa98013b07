using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>Where a member of a deployment stands, read from the rollouts of its last status (the device's own account).</summary>
internal static class MemberOutcome
{
    public static (string Outcome, string? Reason) Evaluate(IReadOnlyList<DeviceRolloutStatus>? rollouts, string model, string version, string deploymentId)
    {
        if (rollouts?.FirstOrDefault(r => r.Model == model) is not { } rollout)
        {
            return (DeploymentDeviceOutcomes.Pending, null);
        }

        if (rollout.Stable == version && rollout.Phase == RolloutPhases.Stable)
        {
            return (DeploymentDeviceOutcomes.Succeeded, null);
        }

        // A failure of the same version in an earlier deployment must not count against this one; a device that does not
        // echo deployment ids is taken at its word.
        if (rollout.LastVersion == version
            && rollout.LastOutcome is RolloutOutcomes.Failed or RolloutOutcomes.RolledBack
            && (rollout.DeploymentId is null || rollout.DeploymentId == deploymentId))
        {
            return (DeploymentDeviceOutcomes.Failed, $"{rollout.LastOutcome}: {rollout.LastReason ?? "no reason given"}");
        }

        return rollout.Candidate == version
            ? (DeploymentDeviceOutcomes.InProgress, $"phase {rollout.Phase}")
            : (DeploymentDeviceOutcomes.Pending, null);
    }
}
