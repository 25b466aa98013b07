namespace EdgeRuntime.Hub.Registry;

/// <summary>Wires the device and model registries and the artifact store.</summary>
internal static class RegistryServiceCollectionExtensions
{
    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.AddSingleton<DeviceRegistry>();
        services.AddSingleton<ArtifactStore>();
        services.AddSingleton<ModelRegistry>();
        return services;
    }
}
