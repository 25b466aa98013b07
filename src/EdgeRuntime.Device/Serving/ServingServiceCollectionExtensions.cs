using Microsoft.Extensions.DependencyInjection;

namespace EdgeRuntime.Device.Serving;

/// <summary>Wires the serving feature: the router in front of the model sessions.</summary>
public static class ServingServiceCollectionExtensions
{
    public static IServiceCollection AddServing(this IServiceCollection services)
    {
        services.AddSingleton<ModelRouter>();
        return services;
    }
}
