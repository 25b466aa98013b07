using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>
/// Fleet deployments: a model version rolled out to a fixed group of devices ring by ring. While a deployment runs or is
/// halted it decides the version of its model for the devices its started rings reach (see
/// <see cref="DesiredStateService"/>); this type moves it along — by hand (halt, resume, advance, rollback, cancel) and
/// by <see cref="EvaluateAsync"/>, which counts the members' outcomes from their statuses, starts the next ring once the
/// current one has met its success threshold and baked, completes after the last, and rolls back every device reached
/// once the failed share crosses the error threshold. Every change is persisted with a transition before the devices'
/// desired states follow it. One change at a time.
/// </summary>
internal sealed partial class DeploymentService(HubStore store, DesiredStateService desired, TimeProvider time, ILogger<DeploymentService> logger)
{
    /// <summary>How many failed devices a response lists.</summary>
    private const int MaxListedFailures = 20;

    /// <summary>How many devices a reason or conflict message names.</summary>
    private const int MaxDevicesNamed = 5;

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Raised after a change that the next evaluation should look at without waiting (a ring started, a resume).</summary>
    public event Action? Changed;

    public async Task<DeploymentResult> CreateAsync(DeploymentPlan plan, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (store.GetDeployment(plan.Id) is not null)
            {
                return DeploymentResult.Conflict($"deployment '{plan.Id}' exists");
            }

            var members = plan.Members.ToHashSet(StringComparer.Ordinal);
            foreach (var active in store.ListActiveDeployments(plan.Model))
            {
                var overlap = store.ListMembers(active.Id).Where(m => members.Contains(m.DeviceId)).Select(m => m.DeviceId).ToList();
                if (overlap.Count > 0)
                {
                    return DeploymentResult.Conflict(
                        $"deployment '{active.Id}' of model '{plan.Model}' is {active.State} on {overlap.Count} of these devices ({Sample(overlap)}); " +
                        "let it finish, or roll back or cancel it first");
                }
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var order = DeploymentRings.Order(plan.Id, plan.Members);
            var rings = DeploymentRings.RingOfPositions(plan.Rings, order.Count);
            var row = new DeploymentRow
            {
                Id = plan.Id,
                Model = plan.Model,
                Version = plan.Version,
                Tag = plan.Tag,
                DeviceIds = plan.DeviceIds is { } ids ? string.Join(',', ids) : null,
                Rollout = JsonSerializer.Serialize(plan.Rollout, FleetJsonContext.Default.RolloutSpec),
                Rings = string.Join(',', plan.Rings.Select(p => p.ToString("R", CultureInfo.InvariantCulture))),
                SuccessThreshold = plan.SuccessThreshold,
                ErrorThreshold = plan.ErrorThreshold,
                RingBakeSeconds = plan.RingBakeSeconds,
                State = DeploymentStates.Running,
                CurrentRing = 0,
                RingStartedMs = now,
                Reason = "ring 0 started",
                CreatedMs = now,
                UpdatedMs = now,
            };
            var memberRows = order.Select((deviceId, position) => new DeploymentMemberRow
            {
                DeploymentId = plan.Id,
                DeviceId = deviceId,
                Ring = rings[position],
                Position = position,
                Outcome = DeploymentDeviceOutcomes.Pending,
            }).ToList();
            if (!store.TryAddDeployment(row, memberRows, Transition(row, now)))
            {
                return DeploymentResult.Conflict($"deployment '{plan.Id}' exists");
            }

            LogCreated(logger, row.Id, row.Model, row.Version, order.Count, row.Rings);
            await StartedRingAsync(row, cancellationToken);
            return DeploymentResult.Done(row, StatusCodes.Status201Created);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops starting rings (and rolling back on its own); the devices reached keep the version.</summary>
    public Task<DeploymentResult> HaltAsync(string id, CancellationToken cancellationToken = default) => ChangeAsync(id, deployment =>
    {
        if (deployment.State == DeploymentStates.Halted)
        {
            return DeploymentResult.Done(deployment);
        }

        if (deployment.State != DeploymentStates.Running)
        {
            return DeploymentResult.Conflict($"deployment '{id}' is {deployment.State}; only a running deployment can be halted");
        }

        Save(deployment, DeploymentStates.Halted, "halted by hand");
        LogHalted(logger, id, deployment.CurrentRing);
        return DeploymentResult.Done(deployment);
    }, cancellationToken);

    public Task<DeploymentResult> ResumeAsync(string id, CancellationToken cancellationToken = default) => ChangeAsync(id, deployment =>
    {
        if (deployment.State == DeploymentStates.Running)
        {
            return DeploymentResult.Done(deployment);
        }

        if (deployment.State != DeploymentStates.Halted)
        {
            return DeploymentResult.Conflict($"deployment '{id}' is {deployment.State}; only a halted deployment can be resumed");
        }

        Save(deployment, DeploymentStates.Running, "resumed by hand");
        LogResumed(logger, id, deployment.CurrentRing);
        Changed?.Invoke();
        return DeploymentResult.Done(deployment);
    }, cancellationToken);

    /// <summary>Starts the next ring now, whatever the current one's outcomes (after the last ring: completes). A halted deployment stays halted.</summary>
    public Task<DeploymentResult> AdvanceAsync(string id, CancellationToken cancellationToken = default) => ChangeAsync(id, async deployment =>
    {
        if (!DeploymentStates.IsActive(deployment.State))
        {
            return DeploymentResult.Conflict($"deployment '{id}' is {deployment.State}; only a running or halted deployment can be advanced");
        }

        var rings = Rings(deployment);
        if (deployment.CurrentRing == rings.Count - 1)
        {
            await CompleteAsync(deployment, $"advanced by hand past the last ring ({deployment.CurrentRing})", cancellationToken);
        }
        else
        {
            await NextRingAsync(deployment, $"ring {deployment.CurrentRing} advanced by hand", cancellationToken);
        }

        return DeploymentResult.Done(deployment);
    }, cancellationToken);

    /// <summary>Ends the deployment and sends every device it reached back to the version its assignments give it.</summary>
    public Task<DeploymentResult> RollBackAsync(string id, CancellationToken cancellationToken = default) => ChangeAsync(id, async deployment =>
    {
        if (deployment.State == DeploymentStates.RolledBack)
        {
            return DeploymentResult.Done(deployment);
        }

        if (!DeploymentStates.IsActive(deployment.State))
        {
            return DeploymentResult.Conflict(
                $"deployment '{id}' is {deployment.State}: its version is assigned now (assignments {deployment.AssignmentIds ?? "none"}); " +
                "delete or replace those assignments, or deploy the previous version");
        }

        await RollBackAsync(deployment, "rolled back by hand", cancellationToken);
        return DeploymentResult.Done(deployment);
    }, cancellationToken);

    /// <summary>Ends the deployment where it stands: the devices reached keep the version (unless they failed it), the others keep theirs.</summary>
    public Task<DeploymentResult> CancelAsync(string id, CancellationToken cancellationToken = default) => ChangeAsync(id, async deployment =>
    {
        if (deployment.State == DeploymentStates.Cancelled)
        {
            return DeploymentResult.Done(deployment);
        }

        if (!DeploymentStates.IsActive(deployment.State))
        {
            return DeploymentResult.Conflict($"deployment '{id}' is {deployment.State}; only a running or halted deployment can be cancelled");
        }

        var keep = store.ListMembers(deployment.Id, deployment.CurrentRing)
            .Where(m => m.Outcome != DeploymentDeviceOutcomes.Failed)
            .Select(m => m.DeviceId)
            .ToHashSet(StringComparer.Ordinal);
        var reached = store.ListMemberDevices(deployment.Id, 0, deployment.CurrentRing);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var assignments = KeepingAssignments(deployment, reached.Where(d => keep.Contains(d.Id)), tag: null, now);
        Finish(deployment, DeploymentStates.Cancelled, $"cancelled by hand in ring {deployment.CurrentRing}", assignments, now);
        LogCancelled(logger, id, deployment.CurrentRing, keep.Count);
        await desired.RefreshAsync(reached, cancellationToken);
        return DeploymentResult.Done(deployment);
    }, cancellationToken);

    /// <summary>
    /// Counts the outcomes of the devices reached by every running or halted deployment from their last statuses, and
    /// moves each running one on: rolled back when too many failed, the next ring (or completion) when the current ring
    /// met its success threshold and baked long enough. At most one step per deployment per call; a step raises
    /// <see cref="Changed"/> so the next call follows at once.
    /// </summary>
    public async Task EvaluateAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var deployment in store.ListActiveDeployments())
            {
                await EvaluateOneAsync(deployment, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Recomputes the desired state of every device any deployment has: a hub stopped between saving a deployment's
    /// step and publishing its effect catches up here at start.
    /// </summary>
    public async Task RefreshMembersAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await desired.RefreshAsync(store.ListAllMemberDevices(), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The deployment's rings as cumulative percents.</summary>
    public static IReadOnlyList<double> Rings(DeploymentRow deployment) =>
        [.. deployment.Rings.Split(',').Select(p => double.Parse(p, CultureInfo.InvariantCulture))];

    /// <summary>The deployment with its progress per ring, first failures and transitions, as the API shows it.</summary>
    public DeploymentResponse Describe(DeploymentRow deployment)
    {
        var percents = Rings(deployment);
        var counts = store.RingOutcomeCounts(deployment.Id);
        int Count(int ring, string outcome) => counts.Where(c => c.Ring == ring && c.Outcome == outcome).Sum(c => c.Count);
        var rings = percents.Select((percent, index) => new DeploymentRingProgress
        {
            Index = index,
            Percent = percent,
            Devices = counts.Where(c => c.Ring == index).Sum(c => c.Count),
            Pending = Count(index, DeploymentDeviceOutcomes.Pending),
            InProgress = Count(index, DeploymentDeviceOutcomes.InProgress),
            Succeeded = Count(index, DeploymentDeviceOutcomes.Succeeded),
            Failed = Count(index, DeploymentDeviceOutcomes.Failed),
            State = RingState(deployment, index),
        }).ToList();
        return new DeploymentResponse
        {
            Id = deployment.Id,
            Model = deployment.Model,
            Version = Text(deployment.Version),
            Tag = deployment.Tag,
            DeviceIds = deployment.DeviceIds?.Split(','),
            Rollout = JsonSerializer.Deserialize(deployment.Rollout, FleetJsonContext.Default.RolloutSpec) ?? new RolloutSpec(),
            SuccessThreshold = deployment.SuccessThreshold,
            ErrorThreshold = deployment.ErrorThreshold,
            RingBakeSeconds = deployment.RingBakeSeconds,
            State = deployment.State,
            CurrentRing = deployment.CurrentRing,
            Reason = deployment.Reason,
            CreatedMs = deployment.CreatedMs,
            UpdatedMs = deployment.UpdatedMs,
            Devices = rings.Sum(r => r.Devices),
            Rings = rings,
            Failures = [.. store.ListFailedMembers(deployment.Id, MaxListedFailures).Select(m => new DeploymentFailure(m.DeviceId, m.Ring, m.Reason))],
            Transitions = [.. store.ListTransitions(deployment.Id).Select(t => new DeploymentTransition(t.AtMs, t.State, t.Ring, t.Reason))],
            AssignmentIds = deployment.AssignmentIds?.Split(',').Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToList(),
        };
    }

    private static string RingState(DeploymentRow deployment, int index) => deployment.State switch
    {
        DeploymentStates.Completed => DeploymentRingStates.Succeeded,
        DeploymentStates.RolledBack => index <= deployment.CurrentRing ? DeploymentRingStates.RolledBack : DeploymentRingStates.Waiting,
        _ when index < deployment.CurrentRing => DeploymentRingStates.Succeeded,
        _ when index > deployment.CurrentRing => DeploymentRingStates.Waiting,
        DeploymentStates.Running => DeploymentRingStates.Running,
        _ => DeploymentRingStates.Halted,
    };

    private static string Text(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static string Percent(double percent) => percent.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Sample(IReadOnlyList<string> deviceIds) =>
        string.Join(", ", deviceIds.Take(MaxDevicesNamed)) + (deviceIds.Count > MaxDevicesNamed ? $" and {deviceIds.Count - MaxDevicesNamed} more" : "");

    private static DeploymentTransitionRow Transition(DeploymentRow deployment, long nowMs) => new()
    {
        DeploymentId = deployment.Id,
        AtMs = nowMs,
        State = deployment.State,
        Ring = deployment.CurrentRing,
        Reason = deployment.Reason,
    };

    private Task<DeploymentResult> ChangeAsync(string id, Func<DeploymentRow, DeploymentResult> change, CancellationToken cancellationToken) =>
        ChangeAsync(id, deployment => Task.FromResult(change(deployment)), cancellationToken);

    private async Task<DeploymentResult> ChangeAsync(string id, Func<DeploymentRow, Task<DeploymentResult>> change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return store.GetDeployment(id) is { } deployment ? await change(deployment) : DeploymentResult.NotFound(id);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EvaluateOneAsync(DeploymentRow deployment, CancellationToken cancellationToken)
    {
        var version = Text(deployment.Version);
        var members = store.ListMembers(deployment.Id, deployment.CurrentRing);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = new List<DeploymentMemberRow>();
        foreach (var member in members)
        {
            var rollouts = member.Rollouts is { } json ? JsonSerializer.Deserialize(json, FleetJsonContext.Default.IReadOnlyListDeviceRolloutStatus) : null;
            var (outcome, reason) = MemberOutcome.Evaluate(rollouts, deployment.Model, version, deployment.Id);
            if (outcome == member.Outcome && reason == member.Reason)
            {
                continue;
            }

            member.Outcome = outcome;
            member.Reason = reason;
            changed.Add(member);
            if (outcome == DeploymentDeviceOutcomes.Failed)
            {
                LogDeviceFailed(logger, deployment.Id, member.DeviceId, member.Ring, deployment.Model, version, reason ?? "");
            }
        }

        if (changed.Count > 0)
        {
            store.UpdateMemberOutcomes(deployment.Id, changed, now);
        }

        // A halted deployment moves only by hand: the counts above keep its progress current, nothing more.
        if (deployment.State != DeploymentStates.Running)
        {
            return;
        }

        var percents = Rings(deployment);
        var ring = deployment.CurrentRing;
        var failed = members.Where(m => m.Outcome == DeploymentDeviceOutcomes.Failed).ToList();
        if (failed.Count > 0 && failed.Count > deployment.ErrorThreshold * members.Count + 1e-9)
        {
            var devices = string.Join("; ", failed.Take(MaxDevicesNamed).Select(m => $"{m.DeviceId} (ring {m.Ring}): {m.Reason}"))
                + (failed.Count > MaxDevicesNamed ? $"; and {failed.Count - MaxDevicesNamed} more" : "");
            await RollBackAsync(
                deployment,
                $"ring {ring} ({Percent(percents[ring])} %): {failed.Count} of {members.Count} devices reached failed the version, " +
                $"over the error threshold {deployment.ErrorThreshold.ToString(CultureInfo.InvariantCulture)}. {devices}",
                cancellationToken);
            return;
        }

        var current = members.Where(m => m.Ring == ring).ToList();
        var succeeded = current.Count(m => m.Outcome == DeploymentDeviceOutcomes.Succeeded);
        var needed = (int)Math.Ceiling(deployment.SuccessThreshold * current.Count - 1e-9);
        if (succeeded < needed || now - deployment.RingStartedMs < deployment.RingBakeSeconds * 1000L)
        {
            return;
        }

        var summary = $"ring {ring} ({Percent(percents[ring])} %): {succeeded} of {current.Count} devices promoted the version";
        if (ring == percents.Count - 1)
        {
            await CompleteAsync(deployment, summary + "; every ring is done", cancellationToken);
        }
        else
        {
            await NextRingAsync(deployment, summary, cancellationToken);
        }
    }

    private async Task NextRingAsync(DeploymentRow deployment, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        deployment.CurrentRing++;
        deployment.RingStartedMs = now;
        Save(deployment, deployment.State, reason);
        await StartedRingAsync(deployment, cancellationToken);
    }

    /// <summary>Gives the devices of the deployment's current ring the version.</summary>
    private async Task StartedRingAsync(DeploymentRow deployment, CancellationToken cancellationToken)
    {
        var devices = store.ListMemberDevices(deployment.Id, deployment.CurrentRing, deployment.CurrentRing);
        LogRingStarted(logger, deployment.Id, deployment.CurrentRing, Percent(Rings(deployment)[deployment.CurrentRing]), devices.Count, deployment.Reason ?? "");
        await desired.RefreshAsync(devices, cancellationToken);
        Changed?.Invoke();
    }

    private async Task RollBackAsync(DeploymentRow deployment, string reason, CancellationToken cancellationToken)
    {
        Save(deployment, DeploymentStates.RolledBack, reason);
        var reached = store.ListMemberDevices(deployment.Id, 0, deployment.CurrentRing);
        LogRolledBack(logger, deployment.Id, reached.Count, reason);
        await desired.RefreshAsync(reached, cancellationToken);
    }

    /// <summary>Ends the deployment as completed, assigning its version so the members keep it once the deployment no longer decides.</summary>
    private async Task CompleteAsync(DeploymentRow deployment, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var members = store.ListMemberDevices(deployment.Id, 0, int.MaxValue);
        var assignments = KeepingAssignments(deployment, members, deployment.Tag, now);
        Finish(deployment, DeploymentStates.Completed, reason, assignments, now);
        LogCompleted(logger, deployment.Id, deployment.Model, deployment.Version, members.Count, deployment.AssignmentIds ?? "none");
        var affected = deployment.Tag is { } tag ? members.UnionBy(store.ListDevices(tag), d => d.Id) : members;
        await desired.RefreshAsync(affected, cancellationToken);
    }

    /// <summary>
    /// The assignments that keep the deployment's version (and rollout spec) on <paramref name="devices"/>: one for the
    /// tag when given (unless the tag's newest assignment of the model has the version already), then one per device the
    /// assignments would still give another version (a device assignment beats a tag one).
    /// </summary>
    private List<AssignmentRow> KeepingAssignments(DeploymentRow deployment, IEnumerable<DeviceRow> devices, string? tag, long nowMs)
    {
        var rollout = DesiredStateService.DeploymentRollout(deployment);
        var json = JsonSerializer.Serialize(rollout, FleetJsonContext.Default.RolloutSpec);
        AssignmentRow Assignment(string? deviceId, string? forTag) => new()
        {
            Model = deployment.Model,
            Version = deployment.Version,
            DeviceId = deviceId,
            Tag = forTag,
            Strategy = rollout.Strategy,
            Rollout = json,
            CreatedMs = nowMs,
            Id = long.MaxValue,
        };

        var existing = store.ListAssignments();
        var added = new List<AssignmentRow>();
        if (tag is not null
            && existing.Where(a => a.Model == deployment.Model && a.Tag == tag).MaxBy(a => a.Id)?.Version != deployment.Version)
        {
            added.Add(Assignment(null, tag));
        }

        foreach (var device in devices)
        {
            var chosen = DesiredStateService.ChooseAssignments(device, existing.Concat(added));
            if (!chosen.TryGetValue(deployment.Model, out var assignment) || assignment.Version != deployment.Version)
            {
                added.Add(Assignment(device.Id, null));
            }
        }

        return added;
    }

    private void Save(DeploymentRow deployment, string state, string reason)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        deployment.State = state;
        deployment.Reason = reason;
        deployment.UpdatedMs = now;
        store.UpdateDeployment(deployment, Transition(deployment, now));
    }

    private void Finish(DeploymentRow deployment, string state, string reason, IReadOnlyList<AssignmentRow> assignments, long nowMs)
    {
        deployment.State = state;
        deployment.Reason = reason;
        deployment.UpdatedMs = nowMs;
        store.FinishDeployment(deployment, Transition(deployment, nowMs), assignments);
    }
}
