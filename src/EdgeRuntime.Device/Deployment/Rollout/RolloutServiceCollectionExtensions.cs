using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.AddOptions<RolloutTrafficOptions>().BindConfiguration(RolloutTrafficOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolloutTrafficOptions>, RolloutTrafficOptionsValidator>());
        services.AddSingleton<RolloutTraffic>();

        // One worker drains the mirror queue; the router it runs copies through depends on RolloutTraffic, not on it.
        services.AddHostedService<RolloutMirrorWorker>();
        return services;
    }
}
