using System.Collections.Concurrent;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Serving;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>
/// The traffic side of rollouts as the host wires it — table, <see cref="RolloutTraffic"/>, router, mirror worker —
/// over a real repository, with <see cref="Trips"/> standing in for the rollout controller: like it, it takes a
/// tripped rollout out of the table at once.
/// </summary>
internal sealed class TrafficHarness : IAsyncDisposable
{
    private static int _rollouts;
    private bool _workerStarted;

    public TrafficHarness(ModelRepository repository, int mirrorQueueCapacity = 4096, DriftDetector? drift = null, DeviceMetrics? metrics = null)
    {
        Trips = new RecordingTripHandler(Table);
        Traffic = new RolloutTraffic(
            Table,
            Options.Create(new RolloutOptions { MirrorQueueCapacity = mirrorQueueCapacity }),
            [Trips],
            NullLogger<RolloutTraffic>.Instance,
            drift,
            metrics);
        Router = new ModelRouter(repository, new ResponseCache(Options.Create(new ResponseCacheOptions())), drift is null ? [] : [drift], Traffic);
        Worker = new RolloutMirrorWorker(Traffic, Router, NullLogger<RolloutMirrorWorker>.Instance);
    }

    /// <summary>Guardrails that never trip: each test lowers only the minimum of the one it is about.</summary>
    public static GuardrailSpec Quiet => new()
    {
        MinRequests = int.MaxValue,
        MinLatencySamples = int.MaxValue,
        MinShadowSamples = int.MaxValue,
        RollbackOnDrift = false,
    };

    public RolloutTable Table { get; } = new();

    public RecordingTripHandler Trips { get; }

    public RolloutTraffic Traffic { get; }

    public ModelRouter Router { get; }

    public RolloutMirrorWorker Worker { get; }

    public async Task StartWorkerAsync()
    {
        await Worker.StartAsync(CancellationToken.None);
        _workerStarted = true;
    }

    /// <summary>Puts a rollout of <paramref name="candidate"/> against the stable version into the table, as the controller would.</summary>
    public ActiveRollout Start(string phase, string candidate, GuardrailSpec guardrails, double splitPercent = 0, double shadowSampleRate = 0, string? stickyHeader = null)
    {
        var rollout = new ActiveRollout
        {
            Id = $"rollout-{Interlocked.Increment(ref _rollouts)}-{Guid.NewGuid():N}",
            Model = RolloutRepository.Model,
            Stable = RolloutRepository.Stable,
            Candidate = candidate,
            Strategy = phase is RolloutPhases.Canary ? RolloutStrategies.Canary : phase is RolloutPhases.Shadow ? RolloutStrategies.Shadow : RolloutStrategies.BlueGreen,
            Phase = phase,
            SplitPercent = splitPercent,
            ShadowSampleRate = shadowSampleRate,
            StickyHeader = stickyHeader,
            Guardrails = guardrails,
        };
        Table.Set(rollout);
        return rollout;
    }

    public async ValueTask DisposeAsync()
    {
        if (_workerStarted)
        {
            await Worker.StopAsync(CancellationToken.None);
        }

        Worker.Dispose();
    }

    /// <summary>Records trips and removes the tripped rollout from the table, as the rollout controller's handler does.</summary>
    internal sealed class RecordingTripHandler(RolloutTable table) : IRolloutTripHandler
    {
        private readonly ConcurrentQueue<(ActiveRollout Rollout, GuardrailTrip Trip)> _trips = new();

        public IReadOnlyList<(ActiveRollout Rollout, GuardrailTrip Trip)> All => [.. _trips];

        public void OnTrip(ActiveRollout rollout, GuardrailTrip trip)
        {
            table.Remove(rollout.Model, rollout.Id);
            _trips.Enqueue((rollout, trip));
        }
    }
}
