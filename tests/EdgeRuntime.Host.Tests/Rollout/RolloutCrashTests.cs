using System.Text.Json.Nodes;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Rollout;

/// <summary>
/// Crash safety of staging and activation: the real host is paused at each step (<c>EdgeRuntime:Rollout:PauseAt</c>)
/// and killed there with SIGKILL; after a restart it must serve a valid version at once and converge to the version
/// the rollout was for, with nothing half-done left on disk.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RolloutCrashTests
{
    private const string Model = "demo";
    private string _work = null!;
    private TestPackages _packages = null!;
    private string _package = null!;

    [OneTimeSetUp]
    public async Task BuildPackageAsync()
    {
        _work = TestRepository.NewDataDirectory("rollout-crash");
        _packages = await TestPackages.CreateAsync(Path.Combine(_work, "packages"));
        _package = await _packages.BuildAsync(Model, 2, SyntheticModels.FloatMlp().Bytes);
    }

    [OneTimeTearDown]
    public void Cleanup() => TestRepository.Delete(_work);

    /// <summary>Every step of staging and activation, in order.</summary>
    public static IEnumerable<string> Steps => RolloutSteps.All;

    /// <summary>Killed at <paramref name="step"/>, the host restarts serving a valid version and converges to version 2.</summary>
    [TestCaseSource(nameof(Steps))]
    public async Task KilledAtEveryStepRestartsServingAndConverges(string step)
    {
        var data = Path.Combine(_work, step);
        TestRepository.WriteModel(Path.Combine(data, "models"), Model, 1, SyntheticModels.Demo().Bytes);

        await using (var doomed = await StartAsync(data, step))
        {
            await doomed.WaitReadyAsync();
            using var client = doomed.CreateClient();
            var upload = PostPackageAsync(client);
            await Wait.UntilAsync(() => Task.FromResult(doomed.Output.Contains($"Rollout paused at step {step}", StringComparison.Ordinal) || upload.IsCompleted));
            Assert.That(upload.IsCompleted, Is.False, $"the upload finished before step {step}:\n{doomed.Output}");

            // DisposeAsync kills with SIGKILL: no shutdown code runs, exactly like a power cut.
        }

        await using var host = await StartAsync(data, pauseAt: null);
        await host.WaitReadyAsync();
        using var restarted = host.CreateClient();
        var (status, body) = await InferAsync(restarted);
        Assert.That(status, Is.EqualTo(200), $"after a kill at {step} the model does not serve: {body}\n{host.Output}");
        Assert.That(body!["model_version"]!.GetValue<string>(), Is.AnyOf("1", "2"));

        if (step == RolloutSteps.PackageSaved)
        {
            // The rollout was never recorded (the caller got no answer), so the caller sends it again, as a client retries.
            using var retried = await PostPackageAsync(restarted);
            Assert.That((int)retried.StatusCode, Is.EqualTo(200), await retried.Content.ReadAsStringAsync());
        }

        await Wait.UntilAsync(async () =>
        {
            var (_, rollout) = await Oip.GetJsonAsync(restarted, $"/v2/edge/rollouts/{Model}");
            return rollout?["rollout"]?["stable"]?.GetValue<string>() == "2" && rollout["rollout"]!["phase"]!.GetValue<string>() == "stable";
        });
        (status, body) = await InferAsync(restarted);
        Assert.That(status, Is.EqualTo(200));
        Assert.That(body!["model_version"]!.GetValue<string>(), Is.EqualTo("2"));

        // Sending the same package again changes nothing: every step is idempotent.
        using (var again = await PostPackageAsync(restarted))
        {
            var answer = await again.Content.ReadAsStringAsync();
            Assert.That((int)again.StatusCode, Is.EqualTo(200), answer);
            Assert.That(answer, Does.Contain("already stable"));
        }

        var modelDirectory = Path.Combine(data, "models", Model);
        await Wait.UntilAsync(() => Task.FromResult(!Directory.Exists(Path.Combine(modelDirectory, "1"))));
        Assert.Multiple(() =>
        {
            Assert.That(Directory.EnumerateDirectories(modelDirectory).Select(Path.GetFileName), Is.EquivalentTo(new[] { "2" }), "only the stable version is kept (KeepVersions 1), no staging leftovers");
            Assert.That(Directory.EnumerateFiles(Path.Combine(data, "rollout"), "*", SearchOption.AllDirectories), Is.Empty, "no package or upload is left behind");
        });
    }

    private Task<EdgeRuntimeProcess> StartAsync(string data, string? pauseAt)
    {
        var environment = new Dictionary<string, string>
        {
            ["EdgeRuntime__Packages__TrustedKeys__0"] = _packages.PublicKey,
            ["EdgeRuntime__Rollout__KeepVersions"] = "1",
            ["EdgeRuntime__InstallDemoModel"] = "false",
        };
        if (pauseAt is not null)
        {
            environment["EdgeRuntime__Rollout__PauseAt"] = pauseAt;
        }

        return EdgeRuntimeProcess.StartAsync(data, environment: environment);
    }

    private Task<HttpResponseMessage> PostPackageAsync(HttpClient client) =>
        client.PostAsync($"/v2/edge/rollouts/{Model}/versions/2", new ByteArrayContent(File.ReadAllBytes(_package)));

    private static Task<(int Status, JsonNode? Body)> InferAsync(HttpClient client) =>
        Oip.PostJsonAsync(client, $"/v2/models/{Model}/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
}
