using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Serving;
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>());
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AlertOptions>, AlertOptionsValidator>());
        services.AddSingleton<DeviceMetrics>();
        services.AddTelemetryStore();
        services.AddDriftDetection();
        services.AddSingleton<TelemetryEvents>();
        services.AddSingleton<PredictionSampler>();
        services.AddSingleton<AlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEvaluator>());
        services.AddSingleton<MetricsSnapshotter>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsSnapshotter>());
        services.AddHostedService<TelemetrySources>();
        services.AddSingleton<IModelLifecycleObserver>(sp => sp.GetRequiredService<TelemetryEvents>());

        // Read here rather than through options: it decides what sits on the request path, before anything
        // is built. Off, requests carry no metric series, drift or sampling; events and alerts still work.
        var enabled = configuration.GetValue($"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.Enabled)}", true);
        if (enabled)
        {
            services.AddSingleton<IModelLifecycleObserver>(sp => sp.GetRequiredService<DeviceMetrics>());
            services.AddSingleton<IPredictionObserver>(sp => sp.GetRequiredService<DriftDetector>());
            services.AddSingleton<IPredictionObserver>(sp => sp.GetRequiredService<PredictionSampler>());
        }

        return services;
    }
}
