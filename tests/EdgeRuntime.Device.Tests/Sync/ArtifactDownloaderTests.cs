using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>Artifact downloads that survive a restart of the device: they resume from the verified offset.</summary>
public sealed class ArtifactDownloaderTests
{
    [Test]
    public async Task DownloadAsync_AgentRestartedMidDownload_ResumesFromTheVerifiedOffset()
    {
        using var directory = new TestStores();
        await using var hub = new TestHub();
        await hub.StartAsync();
        var v2 = TestDevice.DemoVariant("v2", paddingBytes: 48 * 1024);
        var artifact = hub.AddArtifact(v2);
        await hub.PublishDesiredAsync("device-1", DeploymentAgentTests.Desired(1, "2", artifact));
        void Slow(Device.Sync.SyncOptions o) => (o.ChunkBytes, o.MaxDownloadBytesPerSecond) = (2048, 8192);

        await using (var first = new TestDevice(directory.DirectoryPath, hub.Port, Slow))
        {
            await first.InstallDemoV1Async();
            await first.StartAsync();
            await Wait.UntilAsync(() => first.Downloader.Current is { Offset: > 0 }, "part of the artifact is verified");
            await first.StopAsync();
            Assert.That(first.ServingVersion(), Is.EqualTo("1"), "stopped before the download finished");
        }

        var before = hub.ChunkRequests.Count;
        await using var second = new TestDevice(directory.DirectoryPath, hub.Port, o => o.ChunkBytes = 2048);
        await second.Repository.ScanAsync();
        await second.StartAsync();

        await Wait.UntilAsync(() => second.Agent.AppliedRevision == 1, "revision 1 is applied after the restart");

        var afterRestart = hub.ChunkRequests.Skip(before).ToList();
        Assert.That(afterRestart[0].Offset, Is.GreaterThan(0), "resumed, not restarted");
        Assert.That(afterRestart[0].Offset % 2048, Is.Zero);
        Assert.That(second.ServingVersion(), Is.EqualTo("2"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(second.Repository.Root, "demo", "2", "model.onnx")), Is.EqualTo(v2));
    }
}
