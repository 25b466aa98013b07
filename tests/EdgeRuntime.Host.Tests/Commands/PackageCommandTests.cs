using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Device;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Tests.Commands;

/// <summary>
/// <c>edge-runtime package</c> as a real process: keygen → build → verify, a package the device's repository loads and
/// whose smoke test passes there; wrong keys, unsigned packages and missing models refused with their reason.
/// </summary>
public sealed class PackageCommandTests
{
    private string _data = null!;
    private string _modelDir = null!;

    [SetUp]
    public void SetUp()
    {
        _data = TestRepository.NewDataDirectory("package");
        TestRepository.WriteModel(Path.Combine(_data, "source"), "float_mlp", 1, SyntheticModels.FloatMlp().Bytes);
        _modelDir = Path.Combine(_data, "source", "float_mlp", "1");
    }

    [TearDown]
    public void TearDown() => TestRepository.Delete(_data);

    [Test]
    public async Task KeygenBuildVerify_SyntheticModel_GivesASignedPackageTheDeviceLoadsAndSmokeTests()
    {
        await File.WriteAllTextAsync(Path.Combine(_modelDir, "manifest.json"), """{"description": "from the directory", "labels": ["falling", "steady", "rising"]}""");
        await File.WriteAllTextAsync(Path.Combine(_modelDir, "config.json"), """{"max_batch_size": 8}""");

        var keygen = await RunAsync("package", "keygen", "--out", Path.Combine(_data, "keys", "publisher"));
        var build = await RunAsync("package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "2", "--key", Key("key"), "--out", Package());
        var verify = await RunAsync("package", "verify", "--trust", Key("pub"), Package());

        var keyId = keygen.Output.Split('\n')[0].Split(':')[1].Trim();
        Assert.Multiple(() =>
        {
            Assert.That(keyId, Does.Match("^[0-9a-f]{32}$"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(Key("key")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }

            Assert.That(build.Output, Does.Contain($"signed by:      {keyId}").And.Contain("inputs:         input FP32 [-1,4]").And.Contain("quantization:   none"));
            Assert.That(verify.Output, Does.Contain("model:      float_mlp version 2").And.Contain($"signed by:  {keyId}").And.Contain("config.json").And.Contain("smoke test: yes"));
        });

        // Unpacked into a repository exactly as a device would, the version loads against its manifest and passes its smoke test.
        using var trust = PackageKeys.Load(Key("pub"));
        var root = Path.Combine(_data, "device-models");
        var verified = EdgePackageReader.VerifyAndExtract(Package(), PackageTrust.FromPublicKeys([trust]), Path.Combine(root, "float_mlp", "2"));
        using var repository = new ModelRepository(
            Options.Create(new EdgeRuntimeOptions { DataDirectory = _data, ModelRepository = root, RepositoryPollSeconds = 0, InstallDemoModel = false }),
            new ModelSessionFactory(new DeviceProfile(), null, NullLogger<ModelSessionFactory>.Instance),
            NullLogger<ModelRepository>.Instance);
        await repository.ScanAsync();
        var session = repository.Acquire("float_mlp", null);
        try
        {
            Assert.That(verified.Manifest.Description, Is.EqualTo("from the directory"));
            Assert.That(session.Manifest?.Labels, Is.EqualTo(new[] { "falling", "steady", "rising" }));
            Assert.That(session.Manifest?.SmokeTest, Is.Not.Null);
            Assert.That(await SmokeTestRunner.RunAsync(session, session.Manifest!.SmokeTest!, CancellationToken.None), Is.Null);
        }
        finally
        {
            session.Release();
        }
    }

    [Test]
    public async Task Verify_WrongKey_ExitsOneWithTheReason()
    {
        await RunAsync("package", "keygen", "--out", Path.Combine(_data, "keys", "publisher"));
        await RunAsync("package", "keygen", "--out", Path.Combine(_data, "keys", "stranger"));
        await RunAsync("package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "2", "--key", Key("key"), "--no-smoke-test", "--out", Package());

        var result = await CommandProcess.RunAsync(_data, "package", "verify", "--trust", Key("pub", "stranger"), Package());

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Error, Does.StartWith("refused: the package is signed by key").And.Contain("which is not trusted"));
    }

    [Test]
    public async Task Verify_UnsignedPackage_RefusedUnlessAllowUnsigned()
    {
        await RunAsync("package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "3", "--unsigned", "--out", Package());
        await RunAsync("package", "keygen", "--out", Path.Combine(_data, "keys", "publisher"));

        var refused = await CommandProcess.RunAsync(_data, "package", "verify", "--trust", Key("pub"), Package());
        var allowed = await RunAsync("package", "verify", "--allow-unsigned", Package());

        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.Error, Does.Contain("refused: the package is not signed"));
        Assert.That(allowed.Output, Does.Contain("signed by:  nobody"));
    }

    [Test]
    public async Task Build_MissingModelOrDirectory_ExitsTwoNamingIt()
    {
        var empty = Path.Combine(_data, "empty");
        Directory.CreateDirectory(empty);

        var noModel = await CommandProcess.RunAsync(_data, "package", "build", "--model-dir", empty, "--name", "m", "--version", "1", "--unsigned", "--out", Package());
        var noDirectory = await CommandProcess.RunAsync(_data, "package", "build", "--model-dir", Path.Combine(_data, "nowhere"), "--name", "m", "--version", "1", "--unsigned", "--out", Package());

        Assert.That(noModel.ExitCode, Is.EqualTo(2));
        Assert.That(noModel.Error, Does.Contain("no model.onnx in it"));
        Assert.That(noDirectory.ExitCode, Is.EqualTo(2));
        Assert.That(noDirectory.Error, Does.Contain("no such directory"));
        Assert.That(File.Exists(Package()), Is.False);
    }

    [Test]
    public async Task Build_SymlinkInModelDirectory_ExitsTwo()
    {
        File.CreateSymbolicLink(Path.Combine(_modelDir, "weights.bin"), "/etc/hostname");

        var result = await CommandProcess.RunAsync(_data, "package", "build", "--model-dir", _modelDir, "--name", "m", "--version", "1", "--unsigned", "--out", Package());

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Error, Does.Contain("weights.bin is a symbolic link"));
    }

    [Test]
    public async Task Build_SmokeInputBaselineAndDescription_GoIntoTheManifestAndInspectShowsIt()
    {
        var smokeInput = Path.Combine(_data, "smoke.json");
        await File.WriteAllTextAsync(smokeInput, """[{"name": "input", "datatype": "FP32", "shape": [2, 4], "data": [1, 2, 3, 4, 4, 3, 2, 1]}]""");
        var baseline = Path.Combine(_data, "baseline.json");
        await File.WriteAllTextAsync(baseline, """{"inputs": [{"feature": "input[0]", "edges": [0, 1, 2], "proportions": [0.5, 0.5]}], "rows": 10}""");
        await File.WriteAllTextAsync(Path.Combine(_modelDir, "manifest.json"), """{"description": "overridden", "quantization": "fp32 reference"}""");

        await RunAsync("package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "4", "--unsigned",
            "--smoke-input", smokeInput, "--baseline", baseline, "--description", "from the flag", "--out", Package());
        var inspect = await CommandProcess.RunAsync(_data, "package", "inspect", Package());

        Assert.That(inspect.ExitCode, Is.Zero, inspect.Error);
        Assert.That(inspect.Error, Does.Contain("unsigned"));
        var manifest = JsonSerializer.Deserialize(inspect.Output, ContractsJsonContext.Default.ModelManifest)!;
        Assert.Multiple(() =>
        {
            Assert.That(manifest.Description, Is.EqualTo("from the flag"));
            Assert.That(manifest.Quantization, Is.EqualTo("fp32 reference"));
            Assert.That(manifest.DriftBaseline?.Rows, Is.EqualTo(10));
            Assert.That(manifest.SmokeTest!.Inputs.Single().Shape, Is.EqualTo(new long[] { 2, 4 }));
            Assert.That(manifest.SmokeTest.Expected.Single().Shape, Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(manifest.Files!.Select(f => f.Path), Is.EqualTo(new[] { "model.onnx" }), "the directory's own manifest.json is not packed");
        });
    }

    [Test]
    public async Task Build_Preprocessing_GoesIntoTheManifestAndABadOneStopsTheBuild()
    {
        var good = Path.Combine(_data, "preprocessing.json");
        await File.WriteAllTextAsync(good, """{"image": {"width": 192, "height": 48, "resize": "letterbox", "layout": "nchw", "color": "bgr", "mean": [0.5], "std": [0.5, 0.5, 0.5], "pad_value": 114}}""");
        var bad = Path.Combine(_data, "bad-preprocessing.json");
        await File.WriteAllTextAsync(bad, """{"image": {"width": 192, "std": [0.5, 0, 0.5]}}""");

        var build = await RunAsync("package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "5", "--unsigned", "--no-smoke-test", "--preprocessing", good, "--out", Package());
        var inspect = await CommandProcess.RunAsync(_data, "package", "inspect", Package());
        var refused = await CommandProcess.RunAsync(_data, "package", "build", "--model-dir", _modelDir, "--name", "float_mlp", "--version", "6", "--unsigned", "--no-smoke-test", "--preprocessing", bad, "--out", Package("bad"));

        Assert.That(build.Output, Does.Contain("preprocessing:  image 192 x 48, letterbox, nchw, bgr"));
        var image = JsonSerializer.Deserialize(inspect.Output, ContractsJsonContext.Default.ModelManifest)!.Preprocessing!.Image!;
        Assert.That((image.Width, image.Height, image.Resize, image.Color, image.PadValue), Is.EqualTo((192, 48, "letterbox", "bgr", 114)));
        Assert.That(image.Std, Is.EqualTo(new[] { 0.5, 0.5, 0.5 }));
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.Error, Does.Contain("preprocessing.image.std[1] is 0; it must be a finite number other than 0"));
        Assert.That(File.Exists(Package("bad")), Is.False);
    }

    private string Key(string kind, string name = "publisher") => Path.Combine(_data, "keys", $"{name}.{kind}.pem");

    private string Package(string name = "model") => Path.Combine(_data, "out", $"{name}.edgepkg");

    private async Task<CommandProcess.Result> RunAsync(params string[] args)
    {
        var result = await CommandProcess.RunAsync(_data, args);
        Assert.That(result.ExitCode, Is.Zero, $"{string.Join(' ', args)}: {result.Error}");
        return result;
    }
}
