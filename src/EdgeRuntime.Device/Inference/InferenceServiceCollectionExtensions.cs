using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Inference;

/// <summary>Wires the inference feature: the device profile and the session factory.</summary>
public static class InferenceServiceCollectionExtensions
{
    public static IServiceCollection AddInference(this IServiceCollection services)
    {
        services.AddEdgeRuntimeOptions();
        services.AddSingleton(sp => DeviceProfiles.Load(sp.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value.Profile));
        services.AddSingleton(sp => new ModelSessionFactory(
            sp.GetRequiredService<DeviceProfile>(),
            sp.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value.CachePath,
            sp.GetRequiredService<ILogger<ModelSessionFactory>>()));
        return services;
    }
}
