using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device;

/// <summary>Binds and validates the <c>EdgeRuntime</c> configuration section, once, for every feature.</summary>
public static class EdgeRuntimeServiceCollectionExtensions
{
    public static IServiceCollection AddEdgeRuntimeOptions(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(IValidateOptions<EdgeRuntimeOptions>)))
        {
            return services;
        }

        services.AddOptions<EdgeRuntimeOptions>().BindConfiguration(EdgeRuntimeOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EdgeRuntimeOptions>, EdgeRuntimeOptionsValidator>());
        return services;
    }
}
