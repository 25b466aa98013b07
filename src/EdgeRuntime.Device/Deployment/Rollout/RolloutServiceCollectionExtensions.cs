using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Wires staged rollouts: the table of rollouts taking traffic, the traffic side (split, mirror, guardrails) and the controller.</summary>
public static class RolloutServiceCollectionExtensions
{
    /// <summary>Adds the rollout services once, however often it is called (serving calls it for the router).</summary>
    public static IServiceCollection AddRollout(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(RolloutTraffic)))
        {
            return services;
        }

        services.TryAddSingleton<RolloutTable>();
        services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolloutOptions>, RolloutOptionsValidator>());
        services.AddSingleton(sp => new RolloutTraffic(
            sp.GetRequiredService<RolloutTable>(),
            sp.GetRequiredService<IOptions<RolloutOptions>>(),
            Deferred<IRolloutTripHandler>(sp),
            sp.GetRequiredService<ILogger<RolloutTraffic>>(),
            sp.GetService<DriftDetector>(),
            sp.GetService<DeviceMetrics>()));

        // One worker drains the mirror queue; the router it runs copies through depends on RolloutTraffic, not on it.
        services.AddHostedService<RolloutMirrorWorker>();

        // The controller stages and moves rollouts (verifying packages against the trusted keys); it is also the trip handler that rolls a candidate back.
        services.AddPackages();
        services.TryAddSingleton<RolloutController>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRolloutTripHandler, RolloutController>(sp => sp.GetRequiredService<RolloutController>()));
        services.AddHostedService(sp => sp.GetRequiredService<RolloutController>());
        return services;
    }

    // The trip handlers are resolved when the first trip needs them: the rollout controller is one, and it depends on
    // RolloutTraffic, which resolving them up front would make a cycle.
    private static IEnumerable<T> Deferred<T>(IServiceProvider services)
    {
        foreach (var service in services.GetServices<T>())
        {
            yield return service;
        }
    }
}
