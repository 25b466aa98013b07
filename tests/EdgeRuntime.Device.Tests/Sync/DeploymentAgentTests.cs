using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>The deployment agent against a real broker and a real repository: install, refusals, ignored revisions.</summary>
public sealed class DeploymentAgentTests
{
    private TestStores _directory = null!;
    private TestHub _hub = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = new TestStores();
        _hub = new TestHub();
        await _hub.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _hub.DisposeAsync();
        _directory.Dispose();
    }

    [Test]
    public async Task ExecuteAsync_DesiredNewVersion_DownloadsVerifiesInstallsAndServesIt()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port, o => o.ChunkBytes = 1000);
        await device.InstallDemoV1Async();
        var v2 = TestDevice.DemoVariant("v2");
        await _hub.PublishDesiredAsync("device-1", Desired(1, "2", _hub.AddArtifact(v2)));
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Agent.AppliedRevision == 1, "revision 1 is applied");

        Assert.That(device.ServingVersion(), Is.EqualTo("2"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(device.Repository.Root, "demo", "2", "model.onnx")), Is.EqualTo(v2));
        Assert.That(_hub.ChunkRequests.Count, Is.GreaterThan(1), "fetched in chunks");
        Assert.That(Directory.GetFiles(device.Downloader.Directory), Is.Empty, "the finished download is cleaned up");
        await Wait.UntilAsync(() => _hub.Statuses.Any(s => s.AppliedRevision == 1 && s.Models.Any(m => m.Version == "2" && m.State == "READY")), "a fresh status reports version 2");
        await Wait.UntilAsync(() => Types().Contains(DeploymentEventTypes.DesiredApplied), "the events reach the hub");
        Assert.That(Types(), Is.SupersetOf(new[] { DeploymentEventTypes.DownloadStarted, DeploymentEventTypes.DownloadCompleted, DeploymentEventTypes.Installed }));
        using var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(device.DataDirectory, "sync", "state.json")));
        Assert.That(state.RootElement.GetProperty("applied_revision").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task ExecuteAsync_CorruptedChunk_IsRefusedAndVersion1KeepsServing()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port, o => (o.ChunkBytes, o.ChunkRetries) = (1000, 1));
        await device.InstallDemoV1Async();
        _hub.CorruptOffset = 1000;
        await _hub.PublishDesiredAsync("device-1", Desired(1, "2", _hub.AddArtifact(TestDevice.DemoVariant("v2"))));
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Agent.DesiredStatus.State == DeploymentAgent.Failed, "the deployment fails");

        Assert.That(device.Agent.DesiredStatus.Reason, Does.Contain("chunk at offset 1000"));
        Assert.That(device.ServingVersion(), Is.EqualTo("1"));
        Assert.That(device.Agent.AppliedRevision, Is.Zero);
        Assert.That(_hub.ChunkRequests.Count(r => r.Offset == 1000), Is.EqualTo(2), "the first attempt and one retry");
        await Wait.UntilAsync(() => Types().Contains(DeploymentEventTypes.DeploymentFailed), "deployment_failed reaches the hub");
    }

    [Test]
    public async Task ExecuteAsync_WrongTotalHash_IsRefusedDiscardedAndVersion1KeepsServing()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port);
        await device.InstallDemoV1Async();
        var artifact = _hub.AddArtifact(TestDevice.DemoVariant("v2"));
        await _hub.PublishDesiredAsync("device-1", Desired(1, "2", artifact with { Sha256 = TestHub.Sha256([1, 2, 3]) }));
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Agent.DesiredStatus.State == DeploymentAgent.Failed, "the deployment fails");

        Assert.That(device.Agent.DesiredStatus.Reason, Does.Contain("SHA-256"));
        Assert.That(device.ServingVersion(), Is.EqualTo("1"));
        Assert.That(File.Exists(device.Downloader.PartPath(artifact.Id)), Is.False, "the bad download is deleted");
        Assert.That(Directory.Exists(Path.Combine(device.Repository.Root, "demo", "2")), Is.False);
        await Wait.UntilAsync(() => Types().Contains(DeploymentEventTypes.DeploymentFailed), "deployment_failed reaches the hub");
    }

    [Test]
    public async Task ExecuteAsync_VersionThatDoesNotLoad_IsRemovedAndVersion1KeepsServing()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port);
        await device.InstallDemoV1Async();
        await _hub.PublishDesiredAsync("device-1", Desired(1, "2", _hub.AddArtifact("not an onnx model"u8.ToArray())));
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Agent.DesiredStatus.State == DeploymentAgent.Failed, "the deployment fails");

        Assert.That(device.ServingVersion(), Is.EqualTo("1"));
        Assert.That(Directory.Exists(Path.Combine(device.Repository.Root, "demo", "2")), Is.False);
    }

    [Test]
    public async Task ExecuteAsync_RevisionNotAboveApplied_IsIgnored()
    {
        var logger = new RecordingLogger<DeploymentAgent>();
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port, agentLogger: logger);
        await device.InstallDemoV1Async();
        await _hub.PublishDesiredAsync("device-1", Desired(2, "2", _hub.AddArtifact(TestDevice.DemoVariant("v2"))));
        await device.StartAsync();
        await Wait.UntilAsync(() => device.Agent.AppliedRevision == 2, "revision 2 is applied");
        var requests = _hub.ChunkRequests.Count;

        var v3 = _hub.AddArtifact(TestDevice.DemoVariant("v3"));
        await _hub.PublishDesiredAsync("device-1", Desired(2, "3", v3));
        await _hub.PublishDesiredAsync("device-1", Desired(1, "3", v3));
        await Wait.UntilAsync(() => logger.Logged(1634), "the agent logs the ignored revision");

        Assert.That(_hub.ChunkRequests.Count, Is.EqualTo(requests), "nothing downloaded for an old revision");
        Assert.That(device.ServingVersion(), Is.EqualTo("2"));
        Assert.That(device.Agent.AppliedRevision, Is.EqualTo(2));
    }

    [Test]
    public async Task ExecuteAsync_UnknownStrategy_FailsTheDeployment()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port);
        await device.InstallDemoV1Async();
        var desired = Desired(1, "2", _hub.AddArtifact(TestDevice.DemoVariant("v2")));
        await _hub.PublishDesiredAsync("device-1", desired with { Models = [desired.Models[0] with { Rollout = new RolloutSpec { Strategy = "big_bang" } }] });
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Agent.DesiredStatus.State == DeploymentAgent.Failed, "the deployment fails");

        Assert.That(device.Agent.DesiredStatus.Reason, Does.Contain("big_bang"));
        Assert.That(_hub.ChunkRequests, Is.Empty);
    }

    internal static DesiredState Desired(long revision, string version, ArtifactDescriptor artifact) =>
        new() { Revision = revision, Models = [new DesiredModel { Name = "demo", Version = version, Artifact = artifact }] };

    private List<string> Types() => [.. _hub.EventTypes];
}
