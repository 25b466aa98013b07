using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>AddRollout as the host reaches it through AddServing: the router gets the real traffic, one mirror worker, checked options.</summary>
public sealed class RolloutServiceCollectionExtensionsTests
{
    private string _data = null!;

    /// <summary>A fresh data directory.</summary>
    [SetUp]
    public void SetUp() => _data = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"rollout-di-{Guid.NewGuid():N}");

    /// <summary>Deletes the data directory.</summary>
    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    /// <summary>The router serves the table the traffic and the controller share, and one worker drains mirrored copies however often AddRollout runs.</summary>
    [Test]
    public void AddServing_ThenAddRollout_RouterRoutesTheSharedTableAndOneWorkerMirrors()
    {
        using var services = Build([]);

        var router = services.GetRequiredService<ModelRouter>();

        Assert.That(router.Rollouts, Is.SameAs(services.GetRequiredService<RolloutTable>()));
        Assert.That(services.GetRequiredService<RolloutTraffic>().Table, Is.SameAs(router.Rollouts));
        Assert.That(services.GetServices<IHostedService>().OfType<RolloutMirrorWorker>().Count(), Is.EqualTo(1));
        Assert.That(services.GetRequiredService<IOptions<RolloutTrafficOptions>>().Value.MirrorQueueCapacity, Is.EqualTo(64));
    }

    /// <summary>A mirror queue without room is refused at start, naming the key.</summary>
    [Test]
    public void AddRollout_ZeroMirrorQueueCapacity_FailsNamingTheKey()
    {
        using var services = Build(new() { ["EdgeRuntime:Rollout:MirrorQueueCapacity"] = "0" });

        var error = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<RolloutTrafficOptions>>().Value);

        Assert.That(error!.Failures, Has.Some.StartsWith("EdgeRuntime:Rollout:MirrorQueueCapacity"));
    }

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["EdgeRuntime:DataDirectory"] = _data;
        settings["EdgeRuntime:InstallDemoModel"] = "false";
        settings["EdgeRuntime:Profile"] = DefaultProfile();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddInference()
            .AddDeployment()
            .AddServing()
            .AddRollout()
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
