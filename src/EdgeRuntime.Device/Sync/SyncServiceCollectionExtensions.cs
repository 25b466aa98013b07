using System.Globalization;
using System.Reflection;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Wires the hub link: its options (always, so <c>/v2/edge/sync</c> can say it is off), and when
/// <c>EdgeRuntime:Sync:Enabled</c> is true the MQTT link, the telemetry uplink, the deployment agent, the status
/// reporter and the command handler as hosted services.
/// </summary>
public static class SyncServiceCollectionExtensions
{
    public static IServiceCollection AddSync(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEdgeRuntimeOptions();
        services.AddOptions<SyncOptions>().BindConfiguration(SyncOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SyncOptions>, SyncOptionsValidator>());

        // Read here rather than through options: it decides which services exist at all.
        if (!configuration.GetValue($"{SyncOptions.SectionName}:{nameof(SyncOptions.Enabled)}", false))
        {
            return services;
        }

        services.AddTelemetryStore();
        services.AddSingleton(sp => new MqttHubLink(Options(sp), Logger<MqttHubLink>(sp), sp.GetService<TimeProvider>()));
        services.AddSingleton<IHubLink>(sp => sp.GetRequiredService<MqttHubLink>());
        services.AddSingleton(sp => new TelemetryUplink(sp.GetRequiredService<IHubLink>(), sp.GetRequiredService<TelemetryStore>(), Options(sp), Logger<TelemetryUplink>(sp)));
        services.AddSingleton(sp => new DeploymentAgent(
            sp.GetRequiredService<IHubLink>(),
            new ArtifactDownloader(sp.GetRequiredService<IHubLink>(), Options(sp), Path.Combine(SyncDirectory(sp), "downloads"), Logger<ArtifactDownloader>(sp), sp.GetService<TimeProvider>()),
            sp.GetRequiredService<RolloutController>(),
            sp.GetRequiredService<TelemetryRecorder>(),
            SyncDirectory(sp),
            Logger<DeploymentAgent>(sp)));
        services.AddSingleton(sp =>
        {
            var agent = sp.GetRequiredService<DeploymentAgent>();
            var reporter = new DeviceStatusReporter(
                sp.GetRequiredService<IHubLink>(),
                () => Snapshot(sp.GetRequiredService<IHubLink>().DeviceId, sp.GetRequiredService<ModelRepository>(), sp.GetRequiredService<TelemetryRecorder>(), agent.AppliedRevision, sp.GetService<DeviceProfile>()?.Name)
                    with
                { Rollouts = sp.GetRequiredService<RolloutController>().Describe() },
                Options(sp),
                Logger<DeviceStatusReporter>(sp));
            agent.AfterApply = reporter.PublishAsync;
            return reporter;
        });
        services.AddSingleton(sp => new DeviceCommandHandler(
            sp.GetRequiredService<IHubLink>(),
            sp.GetRequiredService<TelemetryUplink>(),
            sp.GetRequiredService<DeviceStatusReporter>(),
            sp.GetRequiredService<DeploymentAgent>(),
            sp.GetRequiredService<RolloutController>(),
            Logger<DeviceCommandHandler>(sp),
            sp.GetService<TimeProvider>(),
            sp.GetService<BatchJobService>()));

        services.AddSingleton<ModelStatusTrigger>(sp => new ModelStatusTrigger(sp));
        services.AddSingleton<IModelLifecycleObserver>(sp => sp.GetRequiredService<ModelStatusTrigger>());
        services.AddSingleton<IRolloutObserver>(sp => sp.GetRequiredService<ModelStatusTrigger>());

        // Handlers register with the link when built, so everything is built before the link starts.
        services.AddHostedService(sp =>
        {
            sp.GetRequiredService<DeviceStatusReporter>();
            sp.GetRequiredService<DeviceCommandHandler>();
            return sp.GetRequiredService<MqttHubLink>();
        });
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryUplink>());
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentAgent>());
        services.AddHostedService(sp => sp.GetRequiredService<DeviceStatusReporter>());
        services.AddHostedService(sp => sp.GetRequiredService<DeviceCommandHandler>());
        return services;
    }

    /// <summary>The device's status as the hub sees it: the models it holds with state and execution provider, and its store.</summary>
    public static DeviceStatus Snapshot(string deviceId, ModelRepository repository, TelemetryRecorder? recorder, long appliedRevision, string? profile)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var models = repository.Index().Select(entry =>
        {
            var provider = entry.Version is null
                ? null
                : repository.Find(entry.Name)?.FirstOrDefault(v => v.Version.ToString(CultureInfo.InvariantCulture) == entry.Version)?.Session?.ExecutionProvider;
            return new DeviceModelStatus(entry.Name, entry.Version ?? "", entry.State.ToString().ToUpperInvariant(), provider, string.IsNullOrEmpty(entry.Reason) ? null : entry.Reason);
        }).ToList();
        var store = recorder?.Status;
        return new DeviceStatus
        {
            DeviceId = deviceId,
            State = SyncProtocol.Online,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            RuntimeVersion = RuntimeVersion,
            Profile = profile,
            AppliedRevision = appliedRevision,
            Models = models,
            Store = store is null ? null : new DeviceStoreStatus(store.Records, store.Bytes, store.MaxBytes, store.FirstSequence, store.LastSequence, store.Dropped.Values.Sum()),
        };
    }

    /// <summary>The runtime's version, from the Device assembly's informational version.</summary>
    public static string RuntimeVersion { get; } =
        typeof(SyncServiceCollectionExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static SyncOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<SyncOptions>>().Value;

    private static ILogger Logger<T>(IServiceProvider sp) => sp.GetRequiredService<ILoggerFactory>().CreateLogger<T>();

    private static string SyncDirectory(IServiceProvider sp) => Path.Combine(sp.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value.DataPath, "sync");
}
