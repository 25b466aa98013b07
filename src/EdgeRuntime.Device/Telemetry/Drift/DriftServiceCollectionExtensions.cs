using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Wires drift detection: its options (section <c>EdgeRuntime:Telemetry:Drift</c>) and the <see cref="DriftDetector"/>.</summary>
public static class DriftServiceCollectionExtensions
{
    public static IServiceCollection AddDriftDetection(this IServiceCollection services)
    {
        services.AddOptions<DriftOptions>().BindConfiguration(DriftOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DriftOptions>, DriftOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DriftDetector>();
        return services;
    }
}
