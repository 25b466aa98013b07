using EdgeRuntime.Device.Deployment.Rollout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// Wires the serving feature: the router, the response cache, (per model) the batcher in front of the sessions, and
/// the rollout traffic the router sends unversioned requests through while a candidate takes traffic.
/// </summary>
public static class ServingServiceCollectionExtensions
{
    public static IServiceCollection AddServing(this IServiceCollection services)
    {
        services.AddOptions<ResponseCacheOptions>().BindConfiguration(ResponseCacheOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponseCacheOptions>, ResponseCacheOptionsValidator>());
        services.AddSingleton<ResponseCache>();
        services.AddRollout();
        services.AddSingleton<ModelRouter>();
        return services;
    }
}
