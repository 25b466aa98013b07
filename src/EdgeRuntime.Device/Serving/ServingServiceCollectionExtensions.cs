using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Serving;

/// <summary>Wires the serving feature: the router, the response cache, and (per model) the batcher in front of the sessions.</summary>
public static class ServingServiceCollectionExtensions
{
    public static IServiceCollection AddServing(this IServiceCollection services)
    {
        services.AddOptions<ResponseCacheOptions>().BindConfiguration(ResponseCacheOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponseCacheOptions>, ResponseCacheOptionsValidator>());
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<ModelRouter>();
        return services;
    }
}
