using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Wires the telemetry store: its options, the store at <c>&lt;data&gt;/state.db</c>, and the recorder that writes to it.</summary>
public static class TelemetryStoreServiceCollectionExtensions
{
    public static IServiceCollection AddTelemetryStore(this IServiceCollection services)
    {
        services.AddEdgeRuntimeOptions();
        services.AddOptions<TelemetryStoreOptions>().BindConfiguration(TelemetryStoreOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelemetryStoreOptions>, TelemetryStoreOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TelemetryStoreOptions>>().Value;
            var path = StorePath(options, sp.GetRequiredService<IOptions<EdgeRuntimeOptions>>().Value);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<TelemetryStore>();
            return TelemetryStore.Open(path, options.MaxBytes, TimeSpan.FromHours(options.MaxAgeHours), logger, sp.GetService<TimeProvider>());
        });
        services.TryAddSingleton(sp => new TelemetryRecorder(
            sp.GetRequiredService<TelemetryStore>(),
            sp.GetRequiredService<IOptions<TelemetryStoreOptions>>(),
            sp.GetRequiredService<ILogger<TelemetryRecorder>>(),
            sp.GetService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryRecorder>());
        return services;
    }

    /// <summary>The configured path, or <c>&lt;data&gt;/state.db</c>; relative paths are under the working directory.</summary>
    internal static string StorePath(TelemetryStoreOptions options, EdgeRuntimeOptions runtime) =>
        Path.GetFullPath(options.Path ?? Path.Combine(runtime.DataPath, "state.db"));
}
