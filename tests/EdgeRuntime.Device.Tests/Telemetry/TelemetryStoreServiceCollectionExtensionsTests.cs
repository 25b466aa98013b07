using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>AddTelemetryStore: where the store opens, what a damaged file does, and the checked options.</summary>
public sealed class TelemetryStoreServiceCollectionExtensionsTests
{
    private TestStores _stores = null!;

    [SetUp]
    public void SetUp() => _stores = new TestStores();

    [TearDown]
    public void TearDown() => _stores.Dispose();

    [Test]
    public void AddTelemetryStore_DefaultConfiguration_OpensStateDbInTheDataDirectoryAndHostsTheRecorder()
    {
        var data = Path.Combine(_stores.DirectoryPath, "data");
        using var services = Build(new() { ["EdgeRuntime:DataDirectory"] = data });

        var store = services.GetRequiredService<TelemetryStore>();

        Assert.That(store.Path, Is.EqualTo(Path.Combine(data, "state.db")));
        Assert.That(File.Exists(store.Path), Is.True, "the directory is created");
        Assert.That(store.MaxBytes, Is.EqualTo(256L * 1024 * 1024));
        Assert.That(services.GetServices<IHostedService>(), Has.Member(services.GetRequiredService<TelemetryRecorder>()));
    }

    [Test]
    public void AddTelemetryStore_CorruptStateDb_MovesItAsideAndStartsFresh()
    {
        File.WriteAllText(_stores.StatePath, new string('#', 8192));
        using var services = Build(new() { ["EdgeRuntime:DataDirectory"] = _stores.DirectoryPath });

        var store = services.GetRequiredService<TelemetryStore>();

        Assert.That(store.Append([TestStores.Entry(TelemetryKind.Event, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]), Is.EqualTo(1));
        var aside = Directory.GetFiles(_stores.DirectoryPath, "state.db.corrupt-*").Single(f => !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal));
        Assert.That(File.ReadAllText(aside), Is.EqualTo(new string('#', 8192)), "the damaged file is kept for a post-mortem");
    }

    [Test]
    public void AddTelemetryStore_InvalidOptions_FailNamingEachKey()
    {
        using var services = Build(new()
        {
            ["EdgeRuntime:DataDirectory"] = _stores.DirectoryPath,
            ["EdgeRuntime:Telemetry:Store:MaxBytes"] = "1000",
            ["EdgeRuntime:Telemetry:Store:MaxAgeHours"] = "0",
            ["EdgeRuntime:Telemetry:Store:WriteBatchSize"] = "0",
        });

        var error = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<TelemetryStoreOptions>>().Value);

        Assert.That(error!.Failures, Has.Some.StartsWith("EdgeRuntime:Telemetry:Store:MaxBytes"));
        Assert.That(error.Failures, Has.Some.StartsWith("EdgeRuntime:Telemetry:Store:MaxAgeHours"));
        Assert.That(error.Failures, Has.Some.StartsWith("EdgeRuntime:Telemetry:Store:WriteBatchSize"));
    }

    /// <summary>The services with <paramref name="settings"/> and the repository's default device profile.</summary>
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["EdgeRuntime:Profile"] = DefaultProfile();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddTelemetryStore()
            .BuildServiceProvider();
    }

    private static string DefaultProfile()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "devices", "profiles", "default.json")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("devices/profiles not found above the test output"), "devices", "profiles", "default.json");
    }
}
