using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Wires staged rollouts: the table of rollouts taking traffic, the traffic side (split, mirror, guardrails) and the controller.</summary>
public static class RolloutServiceCollectionExtensions
{
    public static IServiceCollection AddRollout(this IServiceCollection services)
    {
        services.TryAddSingleton<RolloutTable>();
        return services;
    }
}
