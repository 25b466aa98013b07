using EdgeRuntime.Device.Deployment;

namespace EdgeRuntime.Device.Tests.Deployment;

/// <summary>Durable writes: the directory flush after a rename really reaches the C library on this platform.</summary>
[TestFixture]
public sealed class DurableFileTests
{
    /// <summary>A directory that exists is flushed; one that does not is an error, which proves the flush ran at all.</summary>
    [Test]
    public void SyncDirectory_ReachesTheOperatingSystem()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Windows journals renames; there is no directory flush to test");
        }

        var directory = Path.Combine(Path.GetTempPath(), "edge-durable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            Assert.DoesNotThrow(() => DurableFile.SyncDirectory(directory));
            var missing = Path.Combine(directory, "missing");
            var error = Assert.Throws<IOException>(() => DurableFile.SyncDirectory(missing));
            Assert.That(error!.Message, Does.Contain(missing));
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}
