using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Host.Tests.Rollout;

/// <summary>
/// The local rollout API against the real host: refused packages leave the stable version serving, blue-green moves
/// through its phases, rollback is instant, and only the last K versions stay on disk. Each test rolls out its own
/// model, so the tests share one host.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RolloutEndpointsTests
{
    private const string AdminToken = "rollout-admin-token";
    private static readonly string[] Models = ["refused", "smoke", "broken", "bluegreen", "instant", "pruned", "admin", "tripped"];
    private string _data = null!;
    private TestPackages _packages = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _data = TestRepository.NewDataDirectory("rollout-api");
        _packages = await TestPackages.CreateAsync(Path.Combine(_data, "packages"));
        foreach (var model in Models)
        {
            TestRepository.WriteModel(Path.Combine(_data, "models"), model, 1, SyntheticModels.Demo().Bytes);
        }

        _host = await EdgeRuntimeProcess.StartAsync(_data, environment: new Dictionary<string, string>
        {
            ["EdgeRuntime__Packages__TrustedKeys__0"] = _packages.PublicKey,
            ["EdgeRuntime__Rollout__KeepVersions"] = "2",
            ["EdgeRuntime__Api__AdminToken"] = AdminToken,
            ["EdgeRuntime__InstallDemoModel"] = "false",
        });
        await _host.WaitReadyAsync();
        _client = _host.CreateClient();
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        TestRepository.Delete(_data);
    }

    /// <summary>Tampered, unsigned, wrong-key and zip-slip packages are refused with their reason; version 1 keeps serving.</summary>
    [TestCase("tampered_file", "sha-256")]
    [TestCase("tampered_manifest", "signature")]
    [TestCase("unsigned", "unsigned")]
    [TestCase("wrong_key", "trusted")]
    [TestCase("zip_slip", "escapes")]
    public async Task RefusedPackagesLeaveTheStableVersionServing(string damage, string reasonWord)
    {
        const string model = "refused";
        var good = await _packages.BuildAsync(model, 2, SyntheticModels.FloatMlp().Bytes);
        var package = damage switch
        {
            "tampered_file" => _packages.Tamper(good, "model.onnx"),
            "tampered_manifest" => _packages.Tamper(good, "manifest.json"),
            "unsigned" => _packages.Unsigned(good),
            "wrong_key" => await _packages.BuildAsync(model, 2, SyntheticModels.FloatMlp().Bytes, _packages.StrangerKey),
            _ => _packages.ZipSlip(good),
        };

        var (status, body) = await PostPackageAsync(model, 2, package);

        Assert.That(status, Is.EqualTo(422), body?.ToJsonString());
        var error = Oip.ErrorOf(body);
        Assert.That(error, Does.StartWith("refused at verify:").And.Contain(reasonWord).IgnoreCase);
        await AssertServesAsync(model, "1");
        var rollout = await RolloutOfAsync(model);
        Assert.Multiple(() =>
        {
            Assert.That(rollout["stable"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(rollout["last_outcome"]!.GetValue<string>(), Is.EqualTo("failed"));
            Assert.That(rollout["last_reason"]!.GetValue<string>(), Does.StartWith("verify:"));
            Assert.That(Directory.Exists(Path.Combine(_data, "models", model, "2")), Is.False, "nothing of the refused version is installed");
            Assert.That(File.Exists(Path.Combine(_data, "escaped.txt")) || File.Exists(Path.Combine(_data, "models", "escaped.txt")), Is.False);
        });
    }

    /// <summary>A signed package whose smoke test the model fails is refused at the smoke test, naming the element.</summary>
    [Test]
    public async Task FailedSmokeTestIsRefusedAndTheStableVersionServes()
    {
        const string model = "smoke";
        var smoke = new SmokeTest
        {
            Inputs = [new SmokeTensor("input", "FP32", [1, 4], [1, 2, 3, 4])],

            // The demo model says "rising" for 1, 2, 3, 4; this smoke test claims "falling".
            Expected = [new SmokeTensor("probabilities", "FP32", [1, 3], [1, 0, 0])],
        };
        var package = WritePackage(model, 2, SyntheticModels.FloatMlp().Bytes, smoke);

        var (status, body) = await PostPackageAsync(model, 2, package);

        Assert.That(status, Is.EqualTo(422), body?.ToJsonString());
        Assert.That(Oip.ErrorOf(body), Does.StartWith("refused at smoke_test:").And.Contain("probabilities"));
        await AssertServesAsync(model, "1");
        Assert.That(Directory.Exists(Path.Combine(_data, "models", model, "2")), Is.False);
    }

    /// <summary>A correctly signed package whose model ONNX Runtime cannot load is refused at load.</summary>
    [Test]
    public async Task ModelThatDoesNotLoadIsRefusedAtLoad()
    {
        const string model = "broken";
        var package = WritePackage(model, 2, "this is not an ONNX model"u8.ToArray(), smoke: null);

        var (status, body) = await PostPackageAsync(model, 2, package);

        Assert.That(status, Is.EqualTo(422), body?.ToJsonString());
        Assert.That(Oip.ErrorOf(body), Does.StartWith("refused at load:"));
        await AssertServesAsync(model, "1");
    }

    /// <summary>Blue-green: mirror (callers get version 1), split (both answer), full switch; then a rollback goes back to 1.</summary>
    [Test]
    public async Task BlueGreenMovesThroughItsPhasesAndRollsBack()
    {
        const string model = "bluegreen";
        var package = await _packages.BuildAsync(model, 2, SyntheticModels.FloatMlp().Bytes);

        var (status, body) = await PostPackageAsync(model, 2, package, "strategy=blue_green&split_percent=50");
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        Assert.That(body!["rollout"]!["phase"]!.GetValue<string>(), Is.EqualTo("mirror"));
        Assert.That(await VersionsAnsweringAsync(model, 20), Is.EquivalentTo(new[] { "1" }), "in the mirror phase callers get the stable answer");

        Assert.That((await PostAsync($"/v2/edge/rollouts/{model}/advance")).Body!["rollout"]!["phase"]!.GetValue<string>(), Is.EqualTo("split"));
        Assert.That(await VersionsAnsweringAsync(model, 60), Is.EquivalentTo(new[] { "1", "2" }), "a 50/50 split answers with both");

        var promoted = await PostAsync($"/v2/edge/rollouts/{model}/advance");
        Assert.That(promoted.Body!["rollout"]!["stable"]!.GetValue<string>(), Is.EqualTo("2"));
        Assert.That(await VersionsAnsweringAsync(model, 10), Is.EquivalentTo(new[] { "2" }));

        var rolledBack = await PostAsync($"/v2/edge/rollouts/{model}/rollback?reason=operator%20says%20no");
        Assert.That(rolledBack.Status, Is.EqualTo(200), rolledBack.Body?.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(rolledBack.Body!["rollout"]!["stable"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(rolledBack.Body!["rollout"]!["last_version"]!.GetValue<string>(), Is.EqualTo("2"));
            Assert.That(rolledBack.Body!["rollout"]!["last_outcome"]!.GetValue<string>(), Is.EqualTo("rolled_back"));
            Assert.That(rolledBack.Body!["rollout"]!["last_reason"]!.GetValue<string>(), Is.EqualTo("operator says no"));
        });
        await AssertServesAsync(model, "1");
    }

    /// <summary>A candidate answering every request (split 100) is out of serving the moment it is rolled back.</summary>
    [Test]
    public async Task RollbackDuringASplitIsInstant()
    {
        const string model = "instant";
        var package = await _packages.BuildAsync(model, 2, SyntheticModels.FloatMlp().Bytes);
        var (status, body) = await PostPackageAsync(model, 2, package, "strategy=canary&split_percent=100");
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        Assert.That(await VersionsAnsweringAsync(model, 10), Is.EquivalentTo(new[] { "2" }));

        var rolledBack = await PostAsync($"/v2/edge/rollouts/{model}/rollback");

        Assert.That(rolledBack.Status, Is.EqualTo(200), rolledBack.Body?.ToJsonString());
        Assert.That(await VersionsAnsweringAsync(model, 10), Is.EquivalentTo(new[] { "1" }));
        Assert.That(Directory.Exists(Path.Combine(_data, "models", model, "2")), Is.False, "a rolled-back candidate is not kept");
    }

    /// <summary>With KeepVersions 2, rolling out 2, 3 and 4 leaves 4 (stable) and 3 (for rollback) on disk.</summary>
    [Test]
    public async Task OnlyTheLastKVersionsAreKept()
    {
        const string model = "pruned";
        for (var version = 2; version <= 4; version++)
        {
            var package = await _packages.BuildAsync(model, version, version % 2 == 0 ? SyntheticModels.FloatMlp().Bytes : SyntheticModels.Demo().Bytes);
            var (status, body) = await PostPackageAsync(model, version, package);
            Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        }

        await AssertServesAsync(model, "4");
        var rollout = await RolloutOfAsync(model);
        Assert.That(rollout["kept"]!.AsArray().Select(v => v!.GetValue<string>()), Is.EqualTo(new[] { "4", "3" }));
        Assert.That(Directory.EnumerateDirectories(Path.Combine(_data, "models", model)).Select(Path.GetFileName), Is.EquivalentTo(new[] { "3", "4" }));
    }

    /// <summary>
    /// A canary whose model fails in ONNX Runtime on live requests trips its error-rate guardrail after its minimum of 10
    /// candidate requests: it is rolled back, the event says why, and every later request gets version 1.
    /// </summary>
    [Test]
    public async Task CanaryThatFailsTripsItsGuardrailAndIsRolledBack()
    {
        const string model = "tripped";
        var package = await _packages.BuildAsync(model, 2, FailsAtRunTime(), null, "--no-smoke-test");
        var (status, body) = await PostPackageAsync(model, 2, package, "strategy=canary&split_percent=50&min_requests=10&max_error_rate=0.2");
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());

        var failures = 0;
        for (var i = 0; i < 200; i++)
        {
            var (code, _) = await Oip.PostJsonAsync(_client, $"/v2/models/{model}/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
            failures += code == 200 ? 0 : 1;
        }

        var rollout = await RolloutOfAsync(model);
        Assert.Multiple(() =>
        {
            Assert.That(rollout["stable"]!.GetValue<string>(), Is.EqualTo("1"));
            Assert.That(rollout["candidate"], Is.Null);
            Assert.That(rollout["last_outcome"]!.GetValue<string>(), Is.EqualTo("rolled_back"));
            Assert.That(rollout["last_reason"]!.GetValue<string>(), Does.Contain("error rate"));
            Assert.That(failures, Is.InRange(1, 10), "callers saw the candidate fail only until its 10th request tripped the guardrail");
        });
        await AssertServesAsync(model, "1");

        var (_, records) = await Oip.GetJsonAsync(_client, "/v2/edge/telemetry/records?limit=1000");
        var rolledBack = records!["records"]!.AsArray().Single(r => r!["type"]!.GetValue<string>() == "rollout_rolled_back" && r["model"]!.GetValue<string>() == model)!;
        Assert.Multiple(() =>
        {
            Assert.That(rolledBack["payload"]!["guardrail"]!.GetValue<string>(), Is.EqualTo("error_rate"));
            Assert.That(rolledBack["payload"]!["samples"]!.GetValue<long>(), Is.EqualTo(10));
            Assert.That(rolledBack["payload"]!["trigger"]!.GetValue<string>(), Is.EqualTo("auto"));
        });
    }

    /// <summary>Changing calls need the admin token; reading does not.</summary>
    [Test]
    public async Task RolloutCallsNeedTheAdminToken()
    {
        using var anonymous = _host.CreateClient();
        using var refused = await anonymous.PostAsync("/v2/edge/rollouts/admin/promote", null);
        using var read = await anonymous.GetAsync("/v2/edge/rollouts");

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    /// <summary>The demo model's inputs and outputs, but a Reshape of the 4 readings into rows of 7 fails in ONNX Runtime on every run.</summary>
    private static byte[] FailsAtRunTime() =>
        new OnnxModelBuilder("fails")
            .AddInput("input", DataType.Float, "batch", 4)
            .AddInitializer("rows_of_seven", [2], [-1L, 7L])
            .AddInitializer("weights", [7, 3], new float[21])
            .AddNode("Reshape", ["input", "rows_of_seven"], ["rows"])
            .AddNode("MatMul", ["rows", "weights"], ["logits"])
            .AddNode("Softmax", ["logits"], ["probabilities"], OnnxAttribute.Int("axis", 1))
            .AddOutput("probabilities", DataType.Float, "batch", 3)
            .Build();

    /// <summary>A package written directly with the format library and signed by the trusted key (for contents the CLI would never produce).</summary>
    private string WritePackage(string model, int version, byte[] modelBytes, SmokeTest? smoke)
    {
        var source = Path.Combine(_packages.Directory, $"{model}-{version}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(source, modelBytes);
        var path = Path.Combine(_packages.Directory, $"{model}-{version}-{Guid.NewGuid():N}.edgepkg");
        using var key = PackageKeys.ImportPem(File.ReadAllText(_packages.PrivateKey));
        using var output = File.Create(path);
        EdgePackageWriter.Write(
            output,
            new ModelManifest { Name = model, Version = version.ToString(System.Globalization.CultureInfo.InvariantCulture), SmokeTest = smoke },
            [new PackageFile("model.onnx", source)],
            key);
        return path;
    }

    private async Task<(int Status, JsonNode? Body)> PostPackageAsync(string model, int version, string package, string? query = null)
    {
        using var response = await _client.PostAsync($"/v2/edge/rollouts/{model}/versions/{version}{(query is null ? "" : "?" + query)}", new ByteArrayContent(await File.ReadAllBytesAsync(package)));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<(int Status, JsonNode? Body)> PostAsync(string path)
    {
        using var response = await _client.PostAsync(path, null);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<JsonNode> RolloutOfAsync(string model)
    {
        var (status, body) = await Oip.GetJsonAsync(_client, $"/v2/edge/rollouts/{model}");
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        return body!["rollout"]!;
    }

    private async Task AssertServesAsync(string model, string version) =>
        Assert.That(await VersionsAnsweringAsync(model, 5), Is.EquivalentTo(new[] { version }));

    /// <summary>The distinct model_version values of <paramref name="requests"/> unversioned inferences.</summary>
    private async Task<string[]> VersionsAnsweringAsync(string model, int requests)
    {
        var versions = new HashSet<string>();
        for (var i = 0; i < requests; i++)
        {
            var (status, body) = await Oip.PostJsonAsync(_client, $"/v2/models/{model}/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
            Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
            versions.Add(body!["model_version"]!.GetValue<string>());
        }

        return [.. versions];
    }
}
