using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Tests.Serving;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Device.Tests.Inference;

/// <summary><see cref="ModelSessionFactory"/>'s optimised-model cache, with real ONNX Runtime sessions and a real cache folder.</summary>
public sealed class ModelSessionFactoryTests
{
    private string _directory = null!;

    /// <summary>Creates the test's folder.</summary>
    [SetUp]
    public void SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"session-factory-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory);
    }

    /// <summary>Deletes the test's folder.</summary>
    [TearDown]
    public void TearDown()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    /// <summary>
    /// Loads of one model at the same moment in one process (a batch job beside the server) each write their optimised
    /// model to a file of their own: every load works, the cache ends up as one whole file that the next load uses, and
    /// no temporary file is left behind.
    /// </summary>
    [Test]
    public void Create_SameModelManyTimesAtOnce_EveryLoadWorksAndTheCacheIsWhole()
    {
        var model = Path.Combine(_directory, "demo.onnx");
        File.WriteAllBytes(model, SyntheticModels.Demo().Bytes);
        var cache = Path.Combine(_directory, "cache");
        var factory = new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, cache, NullLogger<ModelSessionFactory>.Instance);
        var request = TestSessions.FloatRequest("input", TestSessions.Readings(new Random(3), 2), [2, 4]);
        const int Loads = 8;
        using var start = new Barrier(Loads);

        var outputs = new float[Loads][];
        // Dedicated threads, all released at once: the loads overlap even on two cores.
        var loads = Enumerable.Range(0, Loads).Select(i => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(TimeSpan.FromMinutes(2));
                using var session = factory.Create("demo", "1", model);
                using var response = session.Run(request, "demo");
                outputs[i] = TestSessions.Floats(response.Outputs[0]);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        Task.WaitAll(loads);

        Assert.That(outputs, Has.All.Not.Null.And.EqualTo(outputs[0]), "every concurrent load runs and answers alike");
        Assert.That(Directory.GetFiles(cache).Select(Path.GetFileName), Has.Exactly(1).Items.And.None.EndsWith(".tmp"));
        using var cached = factory.Create("demo", "1", model);
        Assert.That(cached.Properties["optimized_model_cache"], Is.EqualTo("hit"));
        using var response = cached.Run(request, "demo");
        Assert.That(TestSessions.Floats(response.Outputs[0]), Is.EqualTo(outputs[0]));
    }

    /// <summary>
    /// A load's temporary file has a name no other load shares. Before, it was <c>{cache}.{pid}.tmp</c>, the same for
    /// every load of the model in the process; here that name is held by something that cannot be written, as another
    /// load's file being written is, and the load still works and fills the cache.
    /// </summary>
    [Test]
    public void Create_ProcessWideTemporaryNameTaken_LoadsAndFillsTheCache()
    {
        var model = Path.Combine(_directory, "demo.onnx");
        File.WriteAllBytes(model, SyntheticModels.Demo().Bytes);
        var cache = Path.Combine(_directory, "cache");
        var factory = new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, cache, NullLogger<ModelSessionFactory>.Instance);
        factory.Create("demo", "1", model).Dispose();
        var cached = Directory.GetFiles(cache).Single();
        File.Delete(cached);
        Directory.CreateDirectory($"{cached}.{Environment.ProcessId}.tmp");

        using var session = factory.Create("demo", "1", model);

        Assert.That(session.Properties["optimized_model_cache"], Is.EqualTo("miss"));
        Assert.That(session.ExecutionProvider, Is.EqualTo("CPU"));
        Assert.That(File.Exists(cached), Is.True, "the cache is written again");
    }

    /// <summary>
    /// The optimised model cannot be written (here its temporary file's path is longer than Linux allows, as a full disk
    /// or an unwritable cache would refuse it): ONNX Runtime fails the load, and the model loads again without the cache.
    /// </summary>
    [Test]
    public void Create_OptimisedModelCannotBeWritten_LoadsWithoutTheCache()
    {
        Assume.That(OperatingSystem.IsLinux(), "the path limit (PATH_MAX 4096) is Linux's");
        var model = Path.Combine(_directory, "demo.onnx");
        File.WriteAllBytes(model, SyntheticModels.Demo().Bytes);
        var probe = Path.Combine(_directory, "probe");
        new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, probe, NullLogger<ModelSessionFactory>.Instance).Create("demo", "1", model).Dispose();
        var name = Path.GetFileName(Directory.GetFiles(probe).Single());

        // A cache directory whose cache file path just fits in 4095 bytes, and whose temporary file's path does not.
        var cache = _directory;
        var target = 4095 - 1 - name.Length - 8;
        while (cache.Length < target)
        {
            cache = Path.Combine(cache, new string('c', Math.Clamp(target - cache.Length - 1, 1, 200)));
        }

        var factory = new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, cache, NullLogger<ModelSessionFactory>.Instance);
        using var session = factory.Create("demo", "1", model);
        using var response = session.Run(TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]), "demo");

        Assert.Multiple(() =>
        {
            Assert.That(session.ExecutionProvider, Is.EqualTo("CPU"));
            Assert.That(TestSessions.Floats(response.Outputs[0]), Has.Length.GreaterThan(0));
            Assert.That(Directory.GetFiles(cache), Is.Empty, "no cache file and no temporary file is left");
        });
    }

    /// <summary>A cache directory that cannot be made (a file holds its name) leaves the load uncached, not failed.</summary>
    [Test]
    public void Create_CacheDirectoryIsAFile_LoadsWithoutTheCache()
    {
        var model = Path.Combine(_directory, "demo.onnx");
        File.WriteAllBytes(model, SyntheticModels.Demo().Bytes);
        var cache = Path.Combine(_directory, "cache");
        File.WriteAllText(cache, "not a directory");

        using var session = new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, cache, NullLogger<ModelSessionFactory>.Instance).Create("demo", "1", model);

        Assert.That(session.ExecutionProvider, Is.EqualTo("CPU"));
        Assert.That(File.ReadAllText(cache), Is.EqualTo("not a directory"));
    }

    /// <summary>
    /// A temporary file left by a load whose process died is removed when a factory starts, once it is old; a fresh one
    /// (another process loading right now) and the cache itself stay.
    /// </summary>
    [Test]
    public void New_AbandonedTemporaryFiles_OldOnesRemoved()
    {
        var cache = Path.Combine(_directory, "cache");
        Directory.CreateDirectory(cache);
        var abandoned = Path.Combine(cache, "model-CPU-all-ort.onnx.0123.tmp");
        var writing = Path.Combine(cache, "model-CPU-all-ort.onnx.4567.tmp");
        var cached = Path.Combine(cache, "model-CPU-all-ort.onnx");
        foreach (var path in new[] { abandoned, writing, cached })
        {
            File.WriteAllText(path, "x");
        }

        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow - ModelSessionFactory.AbandonedAfter - TimeSpan.FromMinutes(5));
        File.SetLastWriteTimeUtc(cached, DateTime.UtcNow - TimeSpan.FromDays(30));

        _ = new ModelSessionFactory(new DeviceProfile { IntraOpThreads = 1 }, cache, NullLogger<ModelSessionFactory>.Instance);

        Assert.That(Directory.GetFiles(cache).Order(), Is.EqualTo(new[] { cached, writing }.Order()));
    }
}
