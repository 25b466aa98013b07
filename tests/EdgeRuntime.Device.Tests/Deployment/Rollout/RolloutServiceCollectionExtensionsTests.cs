using EdgeRuntime.Contracts.Sync;
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
        Assert.That(services.GetRequiredService<IOptions<RolloutOptions>>().Value.MirrorQueueCapacity, Is.EqualTo(64));
    }

    /// <summary>A trip handler that depends on RolloutTraffic (as the rollout controller does) resolves without a cycle and hears of trips.</summary>
    [Test]
    public void AddRollout_TripHandlerDependingOnTraffic_ResolvesAndIsToldOfTrips()
    {
        using var services = Build([], s => s.AddSingleton<IRolloutTripHandler, ControllerLikeHandler>());
        var traffic = services.GetRequiredService<RolloutTraffic>();
        var rollout = new ActiveRollout
        {
            Id = "r1",
            Model = "m",
            Stable = "1",
            Candidate = "2",
            Strategy = RolloutStrategies.Canary,
            Phase = RolloutPhases.Canary,
            SplitPercent = 50,
            Guardrails = new GuardrailSpec { MinRequests = 1 },
        };
        traffic.Table.Set(rollout);

        traffic.Record(traffic.MonitorFor(rollout), candidate: true, 1_000, new InferenceException(InferenceErrorKind.Internal, "failed"));

        var handler = (ControllerLikeHandler)services.GetRequiredService<IRolloutTripHandler>();
        Assert.That(handler.Traffic, Is.SameAs(traffic));
        Assert.That(handler.Trips.Select(t => (t.Rollout.Id, t.Trip.Guardrail)), Is.EqualTo(new[] { ("r1", GuardrailTrip.ErrorRate) }));
        Assert.That(traffic.Table.Find("m"), Is.Null);
    }

    /// <summary>A mirror queue without room is refused at start, naming the key.</summary>
    [Test]
    public void AddRollout_ZeroMirrorQueueCapacity_FailsNamingTheKey()
    {
        using var services = Build(new() { ["EdgeRuntime:Rollout:MirrorQueueCapacity"] = "0" });

        var error = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<RolloutOptions>>().Value);

        Assert.That(error!.Failures, Has.Some.StartsWith("EdgeRuntime:Rollout:MirrorQueueCapacity"));
    }

    private ServiceProvider Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        settings["EdgeRuntime:DataDirectory"] = _data;
        settings["EdgeRuntime:InstallDemoModel"] = "false";
        settings["EdgeRuntime:Profile"] = DefaultProfile();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddInference()
            .AddDeployment()
            .AddServing()
            .AddRollout();
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
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

    /// <summary>Stands in for the rollout controller's dependency on the traffic it reacts to.</summary>
    private sealed class ControllerLikeHandler(RolloutTraffic traffic) : IRolloutTripHandler
    {
        public RolloutTraffic Traffic { get; } = traffic;

        public List<(ActiveRollout Rollout, GuardrailTrip Trip)> Trips { get; } = [];

        public void OnTrip(ActiveRollout rollout, GuardrailTrip trip)
        {
            Traffic.Table.Remove(rollout.Model, rollout.Id);
            Trips.Add((rollout, trip));
        }
    }
}
