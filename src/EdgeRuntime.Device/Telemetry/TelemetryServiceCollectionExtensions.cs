using EdgeRuntime.Device.Deployment;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Wires the telemetry feature: Prometheus metrics for <c>/metrics</c>, the SQLite telemetry store and its
/// recorder, drift detection, metric snapshots, events and alert rules.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        services.AddSingleton<DeviceMetrics>();

        // Read here rather than through options: it decides what is wired, before anything is built.
        var enabled = configuration.GetValue($"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.Enabled)}", true);
        if (enabled)
        {
            services.AddSingleton<IModelLifecycleObserver>(sp => sp.GetRequiredService<DeviceMetrics>());
        }

        return services;
    }
}
