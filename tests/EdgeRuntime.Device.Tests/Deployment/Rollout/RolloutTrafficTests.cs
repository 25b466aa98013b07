using System.Runtime.InteropServices;
using System.Text;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Sync;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>
/// Live requests during a rollout, through the real router and real ONNX Runtime sessions: canary splits and sticky
/// callers, shadow copies that never touch the caller's answer, and the guardrails that take a bad candidate out.
/// </summary>
[NonParallelizable]
public sealed class RolloutTrafficTests
{
    private const string Model = RolloutRepository.Model;
    private RolloutRepository _models = null!;

    /// <summary>Loads the five versions once; each test gets its own table, traffic and router over them.</summary>
    [OneTimeSetUp]
    public async Task LoadModels() => _models = await RolloutRepository.CreateAsync();

    /// <summary>Closes the sessions and deletes the repository.</summary>
    [OneTimeTearDown]
    public void DeleteModels() => _models.Dispose();

    /// <summary>Shadow: every caller gets exactly what the stable version answers alone, while the candidate's answers are compared.</summary>
    [Test]
    public async Task InferAsync_Shadow_NeverChangesTheCallersAnswer()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        await harness.StartWorkerAsync();
        const int count = 200;
        var random = new Random(11);
        var requests = Enumerable.Range(0, count).Select(_ => RolloutRepository.Request(random)).ToList();
        var expected = new List<(string? Version, byte[] Bytes)>();
        foreach (var request in requests)
        {
            using var response = await harness.Router.InferAsync(Model, RolloutRepository.Stable, request);
            expected.Add((response.ModelVersion, response.Outputs[0].Data.ToArray()));
        }

        var rollout = harness.Start(RolloutPhases.Shadow, RolloutRepository.Different, TrafficHarness.Quiet, shadowSampleRate: 1.0);
        for (var i = 0; i < count; i++)
        {
            using var response = await harness.Router.InferAsync(Model, null, requests[i]);
            Assert.That(response.ModelVersion, Is.EqualTo(expected[i].Version), $"request {i}");
            Assert.That(response.Outputs[0].Data.ToArray(), Is.EqualTo(expected[i].Bytes), $"request {i}: the caller's answer is the stable version's, byte for byte");
        }

        await Wait.UntilAsync(() => Handled(harness.Traffic.Observe(Model)) == count, "every mirrored request was handled");
        var comparison = harness.Traffic.Observe(Model)!.Comparison!;
        Assert.That(comparison.Samples, Is.GreaterThan(0));
        Assert.That(comparison.AgreementRate, Is.LessThan(0.5), "the candidate's weights differ: it disagrees");
        Assert.That(comparison.MaxAbsDiff, Is.GreaterThan(comparison.MeanAbsDiff).And.GreaterThan(0));
        Assert.That(comparison.Top1Agreement, Is.Not.Null.And.InRange(0.0, 1.0), "[rows, classes] float outputs are compared by their arg-max");
        Assert.That(comparison.Errors, Is.Zero);
        Assert.That(harness.Traffic.Observe(Model)!.StableRequests, Is.EqualTo(count));
        Assert.That(harness.Trips.All, Is.Empty);
    }

    /// <summary>
    /// The copies are deep: callers' input buffers are overwritten and their answers disposed the moment they have them,
    /// and still a candidate identical to the stable version agrees on every sample.
    /// </summary>
    [Test]
    public async Task InferAsync_ShadowOfAnIdenticalCandidate_AgreesAlthoughCallersReuseTheirBuffers()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        harness.Start(RolloutPhases.Shadow, RolloutRepository.Twin, TrafficHarness.Quiet, shadowSampleRate: 1.0);
        await harness.StartWorkerAsync();
        const int count = 100;
        var random = new Random(12);
        for (var i = 0; i < count; i++)
        {
            var bytes = MemoryMarshal.AsBytes<float>([.. Enumerable.Range(0, 4).Select(_ => (float)((random.NextDouble() * 2) - 1))]).ToArray();
            using (var request = new InferenceRequest { Inputs = [new InferenceTensor("x", TensorDataType.Fp32, [1, 4], bytes)] })
            using (var response = await harness.Router.InferAsync(Model, null, request))
            {
                Assert.That(response.ModelVersion, Is.EqualTo(RolloutRepository.Stable));
            }

            // What a pooled request body would look like once it is reused for the next request.
            MemoryMarshal.Cast<byte, float>(bytes.AsSpan()).Fill(float.NaN);
        }

        await Wait.UntilAsync(() => Handled(harness.Traffic.Observe(Model)) == count, "every mirrored request was handled");
        var comparison = harness.Traffic.Observe(Model)!.Comparison!;
        Assert.That((comparison.Samples, comparison.Dropped, comparison.Errors), Is.EqualTo((count, 0L, 0L)));
        Assert.That(comparison.AgreementRate, Is.EqualTo(1.0));
        Assert.That(comparison.Top1Agreement, Is.EqualTo(1.0));
        Assert.That(comparison.MaxAbsDiff, Is.Zero);
    }

    /// <summary>A 20 % canary: the share the candidate answered, read from the responses' model_version, is the configured one within 4 standard deviations.</summary>
    [Test]
    public async Task InferAsync_Canary_CandidateShareIsTheSplitPercent()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        const int count = 2000;
        const double percent = 20;
        harness.Start(RolloutPhases.Canary, RolloutRepository.Different, TrafficHarness.Quiet, splitPercent: percent);
        var random = new Random(13);
        var candidate = 0;
        for (var i = 0; i < count; i++)
        {
            using var request = RolloutRepository.Request(random);
            using var response = await harness.Router.InferAsync(Model, null, request);
            Assert.That(response.ModelVersion, Is.EqualTo(RolloutRepository.Stable).Or.EqualTo(RolloutRepository.Different));
            candidate += response.ModelVersion == RolloutRepository.Different ? 1 : 0;
        }

        var p = percent / 100;
        var deviation = Math.Sqrt(count * p * (1 - p));
        Assert.That(candidate, Is.InRange((count * p) - (4 * deviation), (count * p) + (4 * deviation)), $"{candidate} of {count} went to the candidate");
        var observation = harness.Traffic.Observe(Model)!;
        Assert.That((observation.CandidateRequests, observation.StableRequests), Is.EqualTo(((long)candidate, (long)(count - candidate))));
        Assert.That(observation.CandidateP95Ms, Is.GreaterThan(0));
        Assert.That(observation.Comparison, Is.Null, "nothing was mirrored");
    }

    /// <summary>Sticky canary: one routing key always lands on the same side; many keys spread near the split; a new rollout reshuffles them.</summary>
    [Test]
    public async Task InferAsync_StickyCanary_SameKeySameSideAndKeysSpreadNearTheSplit()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        const int keys = 600;
        const double percent = 30;
        var rollout = harness.Start(RolloutPhases.Canary, RolloutRepository.Different, TrafficHarness.Quiet, splitPercent: percent, stickyHeader: "X-Caller");
        var random = new Random(14);
        var onCandidate = new HashSet<string>();
        for (var k = 0; k < keys; k++)
        {
            var key = $"device-{k}";
            var sides = new HashSet<string?>();
            for (var repeat = 0; repeat < 3; repeat++)
            {
                using var request = RolloutRepository.Request(random);
                using var response = await harness.Router.InferAsync(Model, null, request, routingKey: key);
                sides.Add(response.ModelVersion);
            }

            Assert.That(sides, Has.Count.EqualTo(1), $"key {key} landed on {string.Join(" and ", sides)}");
            if (sides.Single() == RolloutRepository.Different)
            {
                onCandidate.Add(key);
            }
        }

        var p = percent / 100;
        var deviation = Math.Sqrt(keys * p * (1 - p));
        Assert.That(onCandidate.Count, Is.InRange((keys * p) - (4 * deviation), (keys * p) + (4 * deviation)));

        var reshuffled = rollout with { Id = rollout.Id + "-next" };
        var moved = Enumerable.Range(0, keys).Count(k => RolloutTraffic.ChoosesCandidate(reshuffled, $"device-{k}") != onCandidate.Contains($"device-{k}"));
        Assert.That(moved, Is.GreaterThan(0), "the bucket depends on the rollout id, so a new rollout draws a new sample of callers");
    }

    /// <summary>A candidate that fails in ONNX Runtime trips error_rate after its minimum requests (plus those in flight) and leaves the table.</summary>
    [Test]
    public async Task InferAsync_ErroringCanary_TripsErrorRateWithinMinRequests()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        const int minRequests = 20;
        const int callers = 4;
        var failuresBefore = CandidateFailures(RolloutRepository.Failing);
        var rollout = harness.Start(RolloutPhases.Canary, RolloutRepository.Failing, TrafficHarness.Quiet with { MinRequests = minRequests, MaxErrorRate = 0.05 }, splitPercent: 50);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<InferenceException>();
        var sent = 0;

        await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
        {
            var random = new Random(100 + c);
            while (harness.Table.Find(Model) is not null && Interlocked.Increment(ref sent) <= 2000)
            {
                using var request = RolloutRepository.Request(random);
                try
                {
                    using var response = await harness.Router.InferAsync(Model, null, request);
                }
                catch (InferenceException ex)
                {
                    errors.Enqueue(ex);
                }
            }
        })));

        Assert.That(harness.Trips.All, Has.Count.EqualTo(1), "one trip, reported once");
        var (tripped, trip) = harness.Trips.All[0];
        Assert.That(tripped.Id, Is.EqualTo(rollout.Id));
        TestContext.Out.WriteLine(trip.Reason);
        Assert.That(trip.Guardrail, Is.EqualTo(GuardrailTrip.ErrorRate));
        // Every candidate request fails; callers in flight may have counted their request but not yet its failure.
        Assert.That(trip.Observed, Is.InRange((double)(minRequests - callers + 1) / minRequests, 1.0));
        Assert.That(trip.Threshold, Is.EqualTo(0.05));
        Assert.That(trip.Samples, Is.InRange(minRequests, minRequests + callers - 1));
        Assert.That(harness.Table.Find(Model), Is.Null);

        var observation = harness.Traffic.Observe(rollout)!;
        Assert.That(observation.CandidateRequests, Is.InRange(minRequests, minRequests + callers - 1));
        Assert.That(observation.CandidateErrors, Is.EqualTo(observation.CandidateRequests));
        Assert.That(CandidateFailures(RolloutRepository.Failing) - failuresBefore, Is.EqualTo(observation.CandidateRequests), "the candidate's own statistics agree");
        Assert.That(errors, Has.Count.EqualTo(observation.CandidateRequests));
        Assert.That(errors.Select(e => (e.Kind, e.Message.Contains("ONNX Runtime failed", StringComparison.Ordinal))), Is.All.EqualTo((InferenceErrorKind.Internal, true)));
        Assert.That(observation.StableErrors, Is.Zero);
    }

    /// <summary>A candidate tens of times slower than the stable version trips the latency guardrail on the request path.</summary>
    [Test]
    public async Task InferAsync_SlowCanary_TripsLatency()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        const int minSamples = 20;
        var rollout = harness.Start(RolloutPhases.Canary, RolloutRepository.Slow, TrafficHarness.Quiet with { MinLatencySamples = minSamples, MaxLatencyRatio = 1.5 }, splitPercent: 50);
        var random = new Random(15);
        for (var i = 0; i < 2000 && harness.Table.Find(Model) is not null; i++)
        {
            using var request = RolloutRepository.Request(random);
            using var response = await harness.Router.InferAsync(Model, null, request);
        }

        Assert.That(harness.Trips.All, Has.Count.EqualTo(1), "tripped without a Tick: on the request path");
        var trip = harness.Trips.All[0].Trip;
        TestContext.Out.WriteLine(trip.Reason);
        Assert.That(trip.Guardrail, Is.EqualTo(GuardrailTrip.Latency));
        Assert.That(trip.Observed, Is.GreaterThan(1.5));
        Assert.That(trip.Threshold, Is.EqualTo(1.5));
        Assert.That(trip.Samples, Is.InRange(minSamples, 4 * minSamples));
        var observation = harness.Traffic.Observe(rollout)!;
        Assert.That(observation.CandidateP95Ms, Is.GreaterThan(1.5 * observation.StableP95Ms!.Value));
        Assert.That(harness.Table.Find(Model), Is.Null);
    }

    /// <summary>A shadow candidate that answers differently trips disagreement on exactly its minimum of compared samples.</summary>
    [Test]
    public async Task InferAsync_DisagreeingShadow_TripsDisagreement()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        const int minSamples = 20;
        var rollout = harness.Start(RolloutPhases.Shadow, RolloutRepository.Different, TrafficHarness.Quiet with { MinShadowSamples = minSamples, MaxDisagreement = 0.1 }, shadowSampleRate: 1.0);
        await harness.StartWorkerAsync();
        var random = new Random(16);
        for (var i = 0; i < minSamples; i++)
        {
            using var request = RolloutRepository.Request(random);
            using var response = await harness.Router.InferAsync(Model, null, request);
            Assert.That(response.ModelVersion, Is.EqualTo(RolloutRepository.Stable));
        }

        await Wait.UntilAsync(() => harness.Trips.All.Count > 0, "the disagreement guardrail tripped");
        var trip = harness.Trips.All.Single().Trip;
        TestContext.Out.WriteLine(trip.Reason);
        Assert.That(trip.Guardrail, Is.EqualTo(GuardrailTrip.Disagreement));
        Assert.That(trip.Samples, Is.EqualTo(minSamples));
        Assert.That(trip.Observed, Is.GreaterThan(0.1).And.LessThanOrEqualTo(1));
        Assert.That(trip.Threshold, Is.EqualTo(0.1));
        Assert.That(trip.Reason, Does.Contain("mirrored requests"));
        var comparison = harness.Traffic.Observe(rollout)!.Comparison!;
        Assert.That(1 - comparison.AgreementRate, Is.EqualTo(trip.Observed).Within(1e-12));
        Assert.That(harness.Table.Find(Model), Is.Null);
    }

    /// <summary>With the queue full (its worker not running yet), copies are dropped and counted, and every caller still gets the stable answer.</summary>
    [Test]
    public async Task InferAsync_MirrorQueueFull_DropsCopiesAndCallersStillGetTheirAnswers()
    {
        var metrics = new DeviceMetrics();
        await using var harness = new TrafficHarness(_models.Repository, mirrorQueueCapacity: 4, metrics: metrics);
        harness.Start(RolloutPhases.Mirror, RolloutRepository.Different, TrafficHarness.Quiet, shadowSampleRate: 1.0);
        var random = new Random(17);
        for (var i = 0; i < 20; i++)
        {
            using var request = RolloutRepository.Request(random);
            using var response = await harness.Router.InferAsync(Model, null, request);
            Assert.That(response.ModelVersion, Is.EqualTo(RolloutRepository.Stable));
            Assert.That(response.Outputs[0].Shape, Is.EqualTo(new long[] { 1, 3 }));
        }

        Assert.That(harness.Traffic.Observe(Model)!.Comparison!.Dropped, Is.EqualTo(16));
        Assert.That(harness.Traffic.MirrorQueueDepth, Is.EqualTo(4));

        await harness.StartWorkerAsync();
        await Wait.UntilAsync(() => harness.Traffic.Observe(Model)!.Comparison!.Samples == 4, "the queued copies were compared");
        Assert.That(harness.Traffic.MirrorQueueDepth, Is.Zero);
        var exported = await Export(metrics);
        Assert.That(exported, Does.Contain("""edge_rollout_mirror_copies_total{model="classifier",version="2",outcome="dropped"} 16"""));
        Assert.That(exported, Does.Contain("""edge_rollout_mirror_copies_total{model="classifier",version="2",outcome="compared"} 4"""));
        Assert.That(exported, Does.Contain("""edge_rollout_requests_total{model="classifier",version="1",role="stable"} 20"""));
        Assert.That(exported, Does.Contain("""edge_rollout_requests_total{model="classifier",version="2",role="candidate"} 4"""));
    }

    /// <summary>Requests that name a version are served by it whatever the rollout does, and take no part in it.</summary>
    [Test]
    public async Task InferAsync_ExplicitVersion_IsNeverRerouted()
    {
        await using var harness = new TrafficHarness(_models.Repository);
        await harness.StartWorkerAsync();
        Assert.That(harness.Traffic.Observe(Model), Is.Null, "no rollout yet");
        var random = new Random(18);
        foreach (var rollout in new[]
        {
            harness.Start(RolloutPhases.Canary, RolloutRepository.Different, TrafficHarness.Quiet, splitPercent: 100),
            harness.Start(RolloutPhases.Shadow, RolloutRepository.Different, TrafficHarness.Quiet, shadowSampleRate: 1.0),
        })
        {
            foreach (var version in new[] { RolloutRepository.Stable, RolloutRepository.Twin, RolloutRepository.Stable })
            {
                for (var i = 0; i < 20; i++)
                {
                    using var request = RolloutRepository.Request(random);
                    using var response = await harness.Router.InferAsync(Model, version, request, routingKey: "anyone");
                    Assert.That(response.ModelVersion, Is.EqualTo(version), $"{rollout.Phase}: version {version} was asked for");
                }
            }

            var observation = harness.Traffic.Observe(Model)!;
            Assert.That((observation.StableRequests, observation.CandidateRequests, observation.Comparison), Is.EqualTo((0L, 0L, (ShadowComparison?)null)), rollout.Phase);
        }

        using var unversioned = RolloutRepository.Request(random);
        using var answer = await harness.Router.InferAsync(Model, null, unversioned);
        Assert.That(answer.ModelVersion, Is.EqualTo(RolloutRepository.Stable), "the shadow rollout still serves unversioned requests from the stable version");
    }

    /// <summary>Drift is checked by Tick: once the candidate's drift reaches alert, the next Tick trips it.</summary>
    [Test]
    public async Task Tick_CandidateDriftAlert_TripsDrift()
    {
        var drift = new DriftDetector(Options.Create(new DriftOptions { WindowRows = 20 }), NullLogger<DriftDetector>.Instance, TimeProvider.System);
        await using var harness = new TrafficHarness(_models.Repository, drift: drift);
        harness.Start(RolloutPhases.Canary, RolloutRepository.Twin, TrafficHarness.Quiet with { RollbackOnDrift = true }, splitPercent: 100);
        var random = new Random(19);
        for (var i = 0; i < 20; i++)
        {
            using var request = RolloutRepository.Request(random);
            using var response = await harness.Router.InferAsync(Model, null, request);
            Assert.That(response.ModelVersion, Is.EqualTo(RolloutRepository.Twin));
        }

        Assert.That(drift.Latest.Single(r => r.Version == RolloutRepository.Twin).State, Is.EqualTo(DriftState.Alert), "its baseline sits around 10, the readings in [-1, 1]");
        Assert.That(harness.Trips.All, Is.Empty, "drift is Tick's to check");

        harness.Traffic.Tick();

        var trip = harness.Trips.All.Single().Trip;
        Assert.That(trip.Guardrail, Is.EqualTo(GuardrailTrip.Drift));
        Assert.That(trip.Samples, Is.EqualTo(20));
        Assert.That(harness.Table.Find(Model), Is.Null);
        harness.Traffic.Tick();
        Assert.That(harness.Trips.All, Has.Count.EqualTo(1), "a rollout trips once");
    }

    private static long Handled(RolloutObservation? observation) =>
        observation?.Comparison is { } comparison ? comparison.Samples + comparison.Errors + comparison.Dropped : 0;

    private long CandidateFailures(string version)
    {
        var session = _models.Repository.Acquire(Model, version);
        try
        {
            return session.Statistics.Fail.Snapshot().Count;
        }
        finally
        {
            session.Release();
        }
    }

    private static async Task<string> Export(DeviceMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.ExportAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
