using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>
/// The rollout controller wired as the host wires it, on real sessions: the edge cases a review found — the hot path
/// with a rollout.json, going back to the stable version while a candidate runs, not retrying a rolled-back package,
/// the deployment id after a rollback, and a promote queued behind a guardrail trip.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RolloutControllerEdgeCaseTests
{
    private const string Model = "m";
    private string _data = null!;
    private ServiceProvider _services = null!;
    private List<IHostedService> _hosted = [];

    [SetUp]
    public void SetUp() => _data = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"review-{Guid.NewGuid():N}");

    [TearDown]
    public async Task TearDown()
    {
        foreach (var hosted in Enumerable.Reverse(_hosted))
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        _hosted = [];
        _services?.Dispose();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>An unversioned request of a model with a rollout.json (no rollout taking traffic) allocates no more than one without.</summary>
    [Test]
    public async Task Acquire_Unversioned_WithRolloutJsonButNoActiveRollout_AllocatesNothing()
    {
        WriteVersion("1");
        WriteVersion("2");
        await StartAsync(startHosted: false);
        var repository = _services.GetRequiredService<ModelRepository>();
        await repository.ScanAsync();

        var without = AllocatedPerAcquire(repository);

        // What the controller leaves behind after any completed rollout: stable 2, no candidate.
        File.WriteAllText(Path.Combine(_data, "models", Model, "rollout.json"), """{"schema_version":1,"model":"m","stable":"2","phase":"stable","kept":["2","1"]}""");
        await repository.RefreshAsync(Model);

        var with = AllocatedPerAcquire(repository);

        Assert.That(with, Is.LessThanOrEqualTo(without), $"bytes per unversioned Acquire: {without:0.#} without rollout.json, {with:0.#} with it (no rollout taking traffic)");
    }

    /// <summary>Asking for the stable version while a candidate runs (a fleet rollback) ends the candidate and stages nothing.</summary>
    [Test]
    public async Task Start_StableVersionWhileCandidateRuns_EndsTheCandidateAndSettles()
    {
        WriteVersion("1");
        await StartAsync(startHosted: true);
        var controller = _services.GetRequiredService<RolloutController>();
        WriteVersion("2");
        var canary = new RolloutSpec { Strategy = RolloutStrategies.Canary, SplitPercent = 10 };

        var started = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "2", Spec = canary });
        Assert.That(started.Ok, Is.True, started.Reason);
        Assert.That(started.State.Phase, Is.EqualTo(RolloutPhases.Canary));

        // The hub rolls the deployment back: the device's desired state names version 1 again, with the assignment's spec.
        var back = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "1", Spec = canary });

        Assert.Multiple(() =>
        {
            Assert.That(back.Ok, Is.True, back.Reason);
            Assert.That(back.State.Stable, Is.EqualTo("1"));
            Assert.That(back.State.Candidate, Is.Null, $"candidate {back.State.Candidate} in phase {back.State.Phase}");
            Assert.That(back.State.Phase, Is.EqualTo(RolloutPhases.Stable));
        });
    }

    /// <summary>After a rollback with no candidate, the demoted package is not installed again unless retried.</summary>
    [Test]
    public async Task RollbackToPrevious_ThenSamePackageAgainWithoutRetry_IsRefused()
    {
        WriteVersion("1");
        await StartAsync(startHosted: true, allowUnsigned: true);
        var controller = _services.GetRequiredService<RolloutController>();
        var file = Path.Combine(_data, "v2.onnx");
        File.WriteAllBytes(file, ModelBytes());

        var promoted = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "2", ModelFilePath = file });
        Assert.That(promoted.Ok && promoted.State.Stable == "2", Is.True, promoted.Reason);

        var rolledBack = await controller.RollbackAsync(Model, "hub");
        Assert.That(rolledBack.Ok && rolledBack.State.Stable == "1", Is.True, rolledBack.Reason);
        Assert.That(rolledBack.State.LastOutcome, Is.EqualTo(RolloutOutcomes.RolledBack));

        // The next desired-state apply (any new revision) asks for version 2 from the same artifact, without retry.
        var again = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "2", ModelFilePath = file });

        Assert.That(again.Ok, Is.False, $"version 2 is back: stable {again.State.Stable}, last_package {rolledBack.State.LastPackage ?? "null"}");
    }

    /// <summary>After a rollback the status still names the deployment, so the hub can tell an old failure from a new one.</summary>
    [Test]
    public async Task RolledBackCandidate_StatusStillNamesItsDeployment()
    {
        WriteVersion("1");
        await StartAsync(startHosted: true);
        var controller = _services.GetRequiredService<RolloutController>();
        WriteVersion("2");
        var started = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "2", Spec = new RolloutSpec { Strategy = RolloutStrategies.Canary, DeploymentId = "d1" } });
        Assert.That(controller.Describe(started.State).DeploymentId, Is.EqualTo("d1"));

        var rolledBack = await controller.RollbackAsync(Model, "auto", "guardrail");
        var status = controller.Describe(rolledBack.State);

        Assert.That(status.LastOutcome, Is.EqualTo(RolloutOutcomes.RolledBack));
        Assert.That(status.DeploymentId, Is.EqualTo("d1"), "the hub's MemberOutcome treats a null deployment id as 'this deployment'");
    }

    /// <summary>A promote queued before a guardrail trip rolls the tripped candidate back instead of promoting it.</summary>
    [Test]
    public async Task PromoteQueuedBeforeATrip_DoesNotPromoteTheTrippedCandidate()
    {
        WriteVersion("1");
        WriteVersion("1", model: "other");
        await StartAsync(startHosted: true);
        var controller = _services.GetRequiredService<RolloutController>();
        var traffic = _services.GetRequiredService<RolloutTraffic>();
        WriteVersion("2");
        var spec = new RolloutSpec { Strategy = RolloutStrategies.Canary, SplitPercent = 50, Guardrails = new GuardrailSpec { MinRequests = 1 } };
        var started = await controller.StartAsync(new RolloutRequest { Model = Model, Version = "2", Spec = spec });
        Assert.That(started.State.Phase, Is.EqualTo(RolloutPhases.Canary));

        // The single worker is busy with another model (staging a version), an operator's / hub's promote waits behind it ...
        WriteVersion("2", model: "other");
        var busy = controller.StartAsync(new RolloutRequest { Model = "other", Version = "2" });
        var promote = controller.PromoteAsync(Model, "hub");

        // ... and meanwhile the candidate trips its error-rate guardrail on a request thread.
        var rollout = traffic.Table.Find(Model)!;
        traffic.Record(traffic.MonitorFor(rollout), candidate: true, 1_000, new InferenceException(InferenceErrorKind.Internal, "candidate failed"));
        Assert.That(traffic.Table.Find(Model), Is.Null, "the trip took the candidate out of routing");

        await busy;
        var promoted = await promote;
        await Task.Delay(500);
        var state = controller.StateOf(Model)!;

        Assert.That(state.Stable, Is.EqualTo("1"), $"promote answered ok={promoted.Ok}; stable {state.Stable}, last_outcome {state.LastOutcome}: {state.LastReason}");
    }

    private static double AllocatedPerAcquire(ModelRepository repository)
    {
        for (var i = 0; i < 100; i++)
        {
            repository.Acquire(Model, null).Release();
        }

        const int n = 10_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < n; i++)
        {
            repository.Acquire(Model, null).Release();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)n;
    }

    private async Task StartAsync(bool startHosted, bool allowUnsigned = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EdgeRuntime:DataDirectory"] = _data,
            ["EdgeRuntime:InstallDemoModel"] = "false",
            ["EdgeRuntime:RepositoryPollSeconds"] = "0",
            ["EdgeRuntime:Profile"] = DefaultProfile(),
            ["EdgeRuntime:Packages:AllowUnsigned"] = allowUnsigned ? "true" : "false",
            ["EdgeRuntime:Rollout:KeepVersions"] = "3",
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        _services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddInference()
            .AddDeployment()
            .AddServing()
            .AddRollout()
            .BuildServiceProvider();
        if (startHosted)
        {
            foreach (var hosted in _services.GetServices<IHostedService>())
            {
                await hosted.StartAsync(CancellationToken.None);
                _hosted.Add(hosted);
            }

            await _services.GetRequiredService<RolloutController>().Recovered.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private void WriteVersion(string version, string model = Model)
    {
        var directory = Path.Combine(_data, "models", model, version);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "model.onnx"), ModelBytes());
    }

    private static byte[] ModelBytes() => new OnnxModelBuilder("relu")
        .AddInput("x", DataType.Float, "batch", 4)
        .AddNode("Relu", ["x"], ["y"])
        .AddOutput("y", DataType.Float, "batch", 4)
        .Build();

    private static string DefaultProfile()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "devices", "profiles", "default.json")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("devices/profiles"), "devices", "profiles", "default.json");
    }
}
