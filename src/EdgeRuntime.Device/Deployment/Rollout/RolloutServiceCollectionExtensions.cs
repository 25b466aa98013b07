using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Wires staged rollouts: the table of rollouts taking traffic, the traffic side (split, mirror, guardrails) and the controller.</summary>
public static class RolloutServiceCollectionExtensions
{
    /// <summary>Adds the rollout services; safe to call more than once (serving calls it, so does whoever adds the controller).</summary>
    public static IServiceCollection AddRollout(this IServiceCollection services)
    {
        services.TryAddSingleton<RolloutTable>();
        services.AddOptions<RolloutTrafficOptions>().BindConfiguration(RolloutTrafficOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RolloutTrafficOptions>, RolloutTrafficOptionsValidator>());
        services.TryAddSingleton<RolloutTraffic>();

        // Exactly one worker drains the mirror queue, however often this runs.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RolloutMirrorWorker>());
        return services;
    }
}
