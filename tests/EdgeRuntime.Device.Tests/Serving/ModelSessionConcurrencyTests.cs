using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;

namespace EdgeRuntime.Device.Tests.Serving;

/// <summary>How many runs of one session execute at once: from the profile's threads, or Triton's instance_group.</summary>
public sealed class ModelSessionConcurrencyTests
{
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    [Test]
    public void DefaultConcurrentRuns_FollowsTheProfilesThreadsPerRun()
    {
        Assert.That(ModelSessionFactory.DefaultConcurrentRuns(new DeviceProfile { IntraOpThreads = 0 }), Is.EqualTo(1), "a run that uses every core runs alone");
        Assert.That(ModelSessionFactory.DefaultConcurrentRuns(new DeviceProfile { IntraOpThreads = 1 }), Is.EqualTo(Environment.ProcessorCount));
        Assert.That(ModelSessionFactory.DefaultConcurrentRuns(new DeviceProfile { IntraOpThreads = 1024 }), Is.EqualTo(1));
    }

    [Test]
    public async Task RunAsync_InstanceGroupCount_LimitsRunsAndServesEveryRequest()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", config: new ModelConfig { InstanceGroup = [new InstanceGroupConfig { Count = 2 }] });
        var reference = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        var random = new Random(9);
        var requests = Enumerable.Range(0, 32).Select(_ => TestSessions.FloatRequest("input", TestSessions.Readings(random, 1), [1, 4])).ToList();

        var responses = await Task.WhenAll(requests.Select(r => Task.Run(async () => await session.RunAsync(r, "demo"))));

        Assert.That(session.MaxConcurrentRuns, Is.EqualTo(2));
        for (var i = 0; i < requests.Count; i++)
        {
            using var expected = reference.Run(requests[i], "demo");
            using var actual = responses[i];
            Assert.That(actual.Outputs[0].Data.ToArray(), Is.EqualTo(expected.Outputs[0].Data.ToArray()));
        }
    }

    [Test]
    public void RunAsync_CallerAlreadyGone_DoesNotRun()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        using var request = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]);

        Assert.That(async () => await session.RunAsync(request, "demo", new CancellationToken(canceled: true)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(session.Statistics.Snapshot("demo", "1").ExecutionCount, Is.Zero);
    }
}
