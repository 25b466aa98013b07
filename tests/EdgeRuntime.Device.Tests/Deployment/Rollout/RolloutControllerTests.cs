using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>
/// The rollout controller in process, on a real repository and real ORT sessions (bare ONNX files, unsigned models
/// allowed): the disk budget for kept versions, and a kept version rolled back to without a package.
/// </summary>
[TestFixture]
public sealed class RolloutControllerTests
{
    private string _data = null!;

    [SetUp]
    public void CreateData() => _data = Path.Combine(Path.GetTempPath(), "edge-rollout-controller", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void DeleteData() => Directory.Delete(_data, recursive: true);

    /// <summary>With room for about one and a half versions, only the stable version stays after each promotion.</summary>
    [Test]
    public async Task StartAsync_OverTheDiskBudget_KeepsOnlyWhatFits()
    {
        var model = SyntheticModels.FloatMlp().Bytes;
        await using var controller = await StartAsync(new RolloutOptions { KeepVersions = 3, MaxModelBytes = model.Length * 3 / 2 });

        foreach (var version in new[] { "2", "3" })
        {
            var result = await controller.Controller.StartAsync(new RolloutRequest { Model = "m", Version = version, ModelFilePath = controller.WriteSource(model) });
            Assert.That(result.Ok, Is.True, result.Reason);
        }

        var state = controller.Controller.StateOf("m")!;
        Assert.Multiple(() =>
        {
            Assert.That(state.Stable, Is.EqualTo("3"));
            Assert.That(state.Kept, Is.EqualTo(new[] { "3" }));
            Assert.That(Directory.EnumerateDirectories(Path.Combine(controller.Repository.Root, "m")).Select(Path.GetFileName), Is.EqualTo(new[] { "3" }));
        });
    }

    /// <summary>Rolling back with no candidate stages the previous kept version again and makes it stable.</summary>
    [Test]
    public async Task RollbackAsync_WithoutACandidate_GoesBackToThePreviousKeptVersion()
    {
        await using var controller = await StartAsync(new RolloutOptions());
        var result = await controller.Controller.StartAsync(new RolloutRequest { Model = "m", Version = "2", ModelFilePath = controller.WriteSource(SyntheticModels.FloatMlp().Bytes) });
        Assert.That(result.Ok, Is.True, result.Reason);

        var rolledBack = await controller.Controller.RollbackAsync("m", "test", "version 2 answers oddly");

        Assert.Multiple(() =>
        {
            Assert.That(rolledBack.Ok, Is.True, rolledBack.Reason);
            Assert.That(rolledBack.State.Stable, Is.EqualTo("1"));
            Assert.That(rolledBack.State.LastVersion, Is.EqualTo("2"));
            Assert.That(rolledBack.State.LastOutcome, Is.EqualTo(RolloutOutcomes.RolledBack));
            Assert.That(controller.ServingVersion("m"), Is.EqualTo("1"));
        });
    }

    /// <summary>
    /// Whoever is shown a state (the API reads <see cref="RolloutController.StateOf"/>, observers are told) is served by
    /// it: a promotion or rollback reaches the repository before it is shown, never after.
    /// </summary>
    [Test]
    public async Task ShownState_IsAlreadyServed_AfterPromotionAndRollback()
    {
        var seen = new List<(string Stable, string? Shown, string Serving)>();
        Harness? harness = null;
        var observer = new CallbackObserver(state =>
        {
            if (state.Candidate is null && state.Stable is { } stable)
            {
                seen.Add((stable, harness!.Controller.StateOf("m")?.Stable, harness.ServingVersion("m")));
            }
        });
        await using var controller = harness = await StartAsync(new RolloutOptions(), observer);

        var promoted = await controller.Controller.StartAsync(new RolloutRequest { Model = "m", Version = "2", ModelFilePath = controller.WriteSource(SyntheticModels.FloatMlp().Bytes) });
        var rolledBack = await controller.Controller.RollbackAsync("m", "test", "back to 1");

        Assert.Multiple(() =>
        {
            Assert.That(promoted.Ok && rolledBack.Ok, Is.True, $"{promoted.Reason} / {rolledBack.Reason}");
            Assert.That(seen.Select(s => s.Stable), Does.Contain("2").And.Contain("1"));
            Assert.That(seen.Where(s => s.Shown != s.Stable || s.Serving != s.Stable), Is.Empty, "states shown before the repository served by them");
        });
    }

    /// <summary>
    /// After a restart, the first save of a model in the new process (here a promotion) is not shown before it serves:
    /// a reader polling the state while the promotion runs never reads "stable 2" while version 1 still answers.
    /// </summary>
    [Test]
    public async Task ShownState_AfterARestart_FirstSaveIsNotShownBeforeItServes()
    {
        await using (var first = await StartAsync(new RolloutOptions()))
        {
            var staged = await first.Controller.StartAsync(new RolloutRequest
            {
                Model = "m",
                Version = "2",
                ModelFilePath = first.WriteSource(SyntheticModels.FloatMlp().Bytes),
                Spec = new RolloutSpec { Strategy = RolloutStrategies.Canary },
            });
            Assert.That(staged.State.Phase, Is.EqualTo(RolloutPhases.Canary), staged.Reason);
        }

        await using var restarted = await StartAsync(new RolloutOptions(), writeModel: false);
        var mismatches = new List<string>();
        var observed = 0;
        using var done = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(
            () =>
            {
                while (!done.IsCancellationRequested)
                {
                    if (restarted.Controller.StateOf("m") is { Candidate: null, Stable: "2" })
                    {
                        observed++;
                        var serving = restarted.ServingVersion("m");
                        if (serving != "2")
                        {
                            mismatches.Add(serving);
                        }
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var promoted = await restarted.Controller.PromoteAsync("m", "test");
        await Sync.Wait.UntilAsync(() => Volatile.Read(ref observed) > 0, "the reader sees the promotion");
        await done.CancelAsync();
        await reader;

        Assert.That(promoted.Ok, Is.True, promoted.Reason);
        Assert.That(mismatches, Is.Empty, "stable 2 was read while another version answered");
    }

    private async Task<Harness> StartAsync(RolloutOptions options, IRolloutObserver? observer = null, bool writeModel = true)
    {
        var runtime = new EdgeRuntimeOptions { DataDirectory = _data, RepositoryPollSeconds = 0, InstallDemoModel = false };
        var repository = new ModelRepository(
            Options.Create(runtime),
            new ModelSessionFactory(new DeviceProfile(), null, NullLogger<ModelSessionFactory>.Instance),
            NullLogger<ModelRepository>.Instance);
        var directory = Path.Combine(repository.Root, "m", "1");
        if (writeModel)
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllBytesAsync(Path.Combine(directory, "model.onnx"), SyntheticModels.Demo().Bytes);
        }

        await repository.ScanAsync();
        var controller = new RolloutController(
            repository,
            new RolloutTable(),
            new PackageTrustProvider(Options.Create(new PackageOptions { AllowUnsigned = true }), NullLogger<PackageTrustProvider>.Instance),
            Options.Create(options),
            Options.Create(runtime),
            NullLogger<RolloutController>.Instance,
            observers: observer is null ? null : [observer]);
        await controller.StartAsync(CancellationToken.None);
        await controller.Recovered;
        return new Harness(controller, repository, _data);
    }

    private sealed class CallbackObserver(Action<RolloutState> changed) : IRolloutObserver
    {
        public void OnRolloutChanged(RolloutState state) => changed(state);
    }

    private sealed record Harness(RolloutController Controller, ModelRepository Repository, string Data) : IAsyncDisposable
    {
        public string WriteSource(byte[] bytes)
        {
            var path = Path.Combine(Data, $"source-{Guid.NewGuid():N}.onnx");
            File.WriteAllBytes(path, bytes);
            return path;
        }

        public string ServingVersion(string model)
        {
            var session = Repository.Acquire(model, null);
            try
            {
                return session.Version;
            }
            finally
            {
                session.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Controller.StopAsync(CancellationToken.None);
            Controller.Dispose();
            Repository.Dispose();
        }
    }
}
