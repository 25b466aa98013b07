using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Sync;
using MQTTnet;

namespace EdgeRuntime.Hub.Tests;

/// <summary>
/// A device simulated over the real MQTT protocol against the real hub: it takes its retained desired state and, for
/// each model version named there that is not its stable one, reports the rollout in its retained status as a device's
/// rollout controller does — the candidate in phase canary, then promoted; or, for a version configured bad on this
/// device, rolled back with the guardrail that tripped. A version it kept from before is switched back to at once
/// (that is how a fleet rollback reaches a device). A version it rolled back is not tried again.
/// </summary>
internal sealed class SimulatedDevice : IAsyncDisposable
{
    private readonly TestDevice _device;
    private readonly IReadOnlySet<string> _badVersions;
    private readonly SimulationLog _log;
    private readonly Channel<DesiredState> _desired = Channel.CreateUnbounded<DesiredState>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, DeviceRolloutStatus> _rollouts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _kept = new(StringComparer.Ordinal);
    private Task _worker = Task.CompletedTask;
    private long _appliedRevision;

    private SimulatedDevice(TestDevice device, IReadOnlySet<string> badVersions, SimulationLog log)
    {
        _device = device;
        _badVersions = badVersions;
        _log = log;
    }

    public string DeviceId => _device.DeviceId;

    /// <summary>Every desired state received, in order.</summary>
    public ConcurrentQueue<DesiredState> DesiredStates { get; } = new();

    /// <summary>The version the device serves now (set by its worker; read by tests while they wait).</summary>
    public string? Stable(string model)
    {
        lock (_rollouts)
        {
            return _rollouts.GetValueOrDefault(model)?.Stable;
        }
    }

    /// <summary>True when some desired state this device received named <paramref name="version"/> of <paramref name="model"/>.</summary>
    public bool EverDesired(string model, string version) => DesiredStates.Any(d => d.Models.Any(m => m.Name == model && m.Version == version));

    /// <summary>Connects, reports <paramref name="stableVersion"/> of <paramref name="model"/> as served, and starts following its desired state.</summary>
    public static async Task<SimulatedDevice> StartAsync(
        int mqttPort, string deviceId, string password, string model, string stableVersion, IReadOnlySet<string> badVersions, SimulationLog log)
    {
        var device = new SimulatedDevice(await TestDevice.ConnectAsync(mqttPort, deviceId, password), badVersions, log);
        device._rollouts[model] = new DeviceRolloutStatus
        {
            Model = model,
            Stable = stableVersion,
            Phase = RolloutPhases.Stable,
            LastVersion = stableVersion,
            LastOutcome = RolloutOutcomes.Promoted,
        };
        device._kept[model] = [stableVersion];
        await device.PublishStatusAsync();
        device._device.Client.ApplicationMessageReceivedAsync += device.OnMessageAsync;
        Assert.That((int)await device._device.SubscribeAsync(SyncTopics.Desired(deviceId)), Is.LessThan(3), "subscribing to desired");
        device._worker = Task.Run(device.RunAsync);
        return device;
    }

    public async ValueTask DisposeAsync()
    {
        _desired.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
        }

        await _device.DisposeAsync();
        _stop.Dispose();
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        if (e.ApplicationMessage.Topic == SyncTopics.Desired(DeviceId))
        {
            var state = JsonSerializer.Deserialize(e.ApplicationMessage.Payload.ToArray(), SyncJsonContext.Default.DesiredState)!;
            DesiredStates.Enqueue(state);
            _desired.Writer.TryWrite(state);
        }

        return Task.CompletedTask;
    }

    // Publishing from a worker, not from the receive handler: the handler runs on the client's receive path, which must
    // stay free to take the PUBACKs of the statuses published.
    private async Task RunAsync()
    {
        await foreach (var state in _desired.Reader.ReadAllAsync(_stop.Token))
        {
            if (state.Revision <= _appliedRevision)
            {
                continue;
            }

            _appliedRevision = state.Revision;
            foreach (var model in state.Models)
            {
                await ApplyAsync(model);
            }

            await PublishStatusAsync();
        }
    }

    private async Task ApplyAsync(DesiredModel model)
    {
        DeviceRolloutStatus current;
        lock (_rollouts)
        {
            current = _rollouts.GetValueOrDefault(model.Name) ?? new DeviceRolloutStatus { Model = model.Name, Phase = RolloutPhases.Stable };
        }

        var version = model.Version;
        if (current.Stable == version
            || (current.LastVersion == version && current.LastOutcome is RolloutOutcomes.RolledBack or RolloutOutcomes.Failed))
        {
            return;
        }

        var kept = _kept.TryGetValue(model.Name, out var versions) ? versions : _kept[model.Name] = [];
        var deploymentId = model.Rollout.DeploymentId;
        _log.Add(DeviceId, SimulationLog.Desired, version);
        if (kept.Contains(version))
        {
            Set(current with { Stable = version, Candidate = null, Phase = RolloutPhases.Stable, DeploymentId = deploymentId, LastVersion = version, LastOutcome = RolloutOutcomes.Promoted, LastReason = "switched back to a kept version" });
            return;
        }

        Set(current with { Candidate = version, Phase = RolloutPhases.Canary, Strategy = model.Rollout.Strategy, DeploymentId = deploymentId });
        await PublishStatusAsync();
        if (_badVersions.Contains(version))
        {
            _log.Add(DeviceId, SimulationLog.RolledBack, version);
            Set(current with
            {
                Candidate = null,
                Phase = RolloutPhases.Stable,
                DeploymentId = deploymentId,
                LastVersion = version,
                LastOutcome = RolloutOutcomes.RolledBack,
                LastReason = "guardrail error_rate: 0.4 over 20 requests is above 0.05",
            });
            return;
        }

        kept.Add(version);
        _log.Add(DeviceId, SimulationLog.Promoted, version);
        Set(current with { Stable = version, Candidate = null, Phase = RolloutPhases.Stable, DeploymentId = deploymentId, LastVersion = version, LastOutcome = RolloutOutcomes.Promoted, LastReason = null });
    }

    private void Set(DeviceRolloutStatus rollout)
    {
        lock (_rollouts)
        {
            _rollouts[rollout.Model] = rollout;
        }
    }

    private async Task PublishStatusAsync()
    {
        DeviceStatus status;
        lock (_rollouts)
        {
            status = new DeviceStatus
            {
                DeviceId = DeviceId,
                State = SyncProtocol.Online,
                TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                AppliedRevision = _appliedRevision,
                Models = [.. _rollouts.Values.Where(r => r.Stable is not null).Select(r => new DeviceModelStatus(r.Model, r.Stable!, "READY", "CPUExecutionProvider"))],
                Rollouts = [.. _rollouts.Values],
            };
        }

        var result = await _device.PublishAsync(SyncTopics.Status(DeviceId), JsonSerializer.SerializeToUtf8Bytes(status, SyncJsonContext.Default.DeviceStatus), retain: true);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"{DeviceId}: the hub refused the status ({result.ReasonCode})");
        }
    }
}
