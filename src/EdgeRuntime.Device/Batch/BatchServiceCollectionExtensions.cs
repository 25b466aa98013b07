using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Wires batch jobs in the host: the <c>EdgeRuntime:Batch</c> settings and the job service (queue, runs, spool import,
/// schedules). Needs the inference feature (the device profile); uses telemetry's recorder and metrics when they are wired.
/// </summary>
public static class BatchServiceCollectionExtensions
{
    public static IServiceCollection AddBatch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddEdgeRuntimeOptions();
        services.AddOptions<BatchOptions>().Bind(configuration.GetSection(BatchOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchOptions>, BatchOptionsValidator>());
        services.TryAddSingleton(sp => new BatchJobService(
            sp.GetRequiredService<IOptions<EdgeRuntimeOptions>>(),
            sp.GetRequiredService<IOptions<BatchOptions>>(),
            sp.GetRequiredService<DeviceProfile>(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetService<TelemetryRecorder>(),
            sp.GetService<DeviceMetrics>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<BatchJobService>());
        return services;
    }
}
