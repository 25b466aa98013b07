using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Desired;

/// <summary>
/// Turns assignments into each device's <see cref="DesiredState"/>: a device assignment of a model overrides tag
/// assignments of it, and among equals the newest wins; a running or halted fleet deployment overrides both for the
/// devices its started rings reach. A change raises the device's revision (persisted) and is published retained on
/// <c>desired</c>.
/// </summary>
internal sealed partial class DesiredStateService(HubStore store, IHubTransport transport, TimeProvider time, ILogger<DesiredStateService> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The assignment that decides each model for the device: a device assignment beats a tag assignment, then the newest wins.</summary>
    public static Dictionary<string, AssignmentRow> ChooseAssignments(DeviceRow device, IEnumerable<AssignmentRow> assignments)
    {
        var tags = device.TagList;
        var chosen = new Dictionary<string, AssignmentRow>(StringComparer.Ordinal);
        foreach (var assignment in assignments)
        {
            var forDevice = assignment.DeviceId == device.Id;
            if (!forDevice && !(assignment.Tag is { } tag && tags.Contains(tag)))
            {
                continue;
            }

            if (!chosen.TryGetValue(assignment.Model, out var current))
            {
                chosen[assignment.Model] = assignment;
                continue;
            }

            var currentForDevice = current.DeviceId is not null;
            if (forDevice != currentForDevice ? forDevice : assignment.Id > current.Id)
            {
                chosen[assignment.Model] = assignment;
            }
        }

        return chosen;
    }

    /// <summary>The rollout spec an assignment stored; assignments from before specs were stored have only a strategy.</summary>
    public static RolloutSpec RolloutOf(AssignmentRow assignment) =>
        assignment.Rollout is { } json
            ? JsonSerializer.Deserialize(json, FleetJsonContext.Default.RolloutSpec) ?? new RolloutSpec { Strategy = assignment.Strategy }
            : new RolloutSpec { Strategy = assignment.Strategy };

    /// <summary>The rollout spec the deployment's devices get: the requested one, carrying the deployment's id.</summary>
    public static RolloutSpec DeploymentRollout(DeploymentRow deployment) =>
        (JsonSerializer.Deserialize(deployment.Rollout, FleetJsonContext.Default.RolloutSpec) ?? new RolloutSpec()) with { DeploymentId = deployment.Id };

    /// <summary>The models a device should serve now, from the assignments and deployments (computed, not the stored document).</summary>
    public IReadOnlyList<DesiredModel> ComputeModels(DeviceRow device)
    {
        var chosen = ChooseAssignments(device, store.ListAssignments());
        foreach (var deployment in store.ActiveDeploymentsReaching(device.Id))
        {
            // While it runs (or is halted) a deployment acts as the strongest assignment of its model for the devices it
            // reached; when it ends, the assignments decide again (a completed one has added its own).
            chosen[deployment.Model] = new AssignmentRow
            {
                Model = deployment.Model,
                Version = deployment.Version,
                Rollout = JsonSerializer.Serialize(DeploymentRollout(deployment), FleetJsonContext.Default.RolloutSpec),
            };
        }

        var models = new List<DesiredModel>();
        foreach (var assignment in chosen.Values.OrderBy(a => a.Model, StringComparer.Ordinal))
        {
            if (store.GetModelVersion(assignment.Model, assignment.Version) is not { } version
                || store.GetArtifact(version.ArtifactId) is not { } artifact)
            {
                continue;
            }

            models.Add(new DesiredModel
            {
                Name = assignment.Model,
                Version = assignment.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Artifact = new ArtifactDescriptor { Id = artifact.Id, Sha256 = artifact.Id, Size = artifact.Size, Format = artifact.Format },
                Rollout = RolloutOf(assignment),
            });
        }

        return models;
    }

    /// <summary>Recomputes the devices' desired states; publishes and returns those whose models changed.</summary>
    public async Task<IReadOnlyList<DeviceRevision>> RefreshAsync(IEnumerable<DeviceRow> devices, CancellationToken cancellationToken = default)
    {
        var changed = new List<DeviceRevision>();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var device in devices)
            {
                var models = ComputeModels(device);
                var modelsJson = JsonSerializer.Serialize(models, FleetJsonContext.Default.IReadOnlyListDesiredModel);
                var current = store.GetDesired(device.Id);
                if (current is not null ? current.Models == modelsJson : models.Count == 0)
                {
                    continue;
                }

                var state = new DesiredState
                {
                    Revision = (current?.Revision ?? 0) + 1,
                    IssuedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                    Models = models,
                };
                var document = JsonSerializer.Serialize(state, SyncJsonContext.Default.DesiredState);
                store.SaveDesired(new DesiredRow { DeviceId = device.Id, Revision = state.Revision, Models = modelsJson, Document = document });
                changed.Add(new DeviceRevision(device.Id, state.Revision));
                await PublishAsync(device.Id, document, cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }

        return changed;
    }

    /// <summary>Publishes every device's stored desired state again (the broker's retained store may not have it).</summary>
    public async Task RepublishAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (var desired in store.ListDesired())
        {
            await PublishAsync(desired.DeviceId, desired.Document, cancellationToken);
        }
    }

    public DesiredState? Current(string deviceId) =>
        store.GetDesired(deviceId) is { } row ? JsonSerializer.Deserialize(row.Document, SyncJsonContext.Default.DesiredState) : null;

    private async Task PublishAsync(string deviceId, string document, CancellationToken cancellationToken)
    {
        if (!transport.IsReady)
        {
            // Stored already: the transport publishes every desired state when it (re)connects.
            return;
        }

        try
        {
            await transport.PublishAsync(
                SyncTopics.Desired(deviceId),
                Encoding.UTF8.GetBytes(document),
                retain: true,
                [new(SyncHeaders.Schema, "1")],
                contentType: SyncHeaders.JsonContentType,
                cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(logger, deviceId, ex);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Publishing the desired state of {DeviceId} failed; it goes out again on the next connect")]
    private static partial void LogPublishFailed(ILogger logger, string deviceId, Exception exception);
}
