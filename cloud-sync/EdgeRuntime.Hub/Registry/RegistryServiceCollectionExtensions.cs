using EdgeRuntime.Hub.Signing;

namespace EdgeRuntime.Hub.Registry;

/// <summary>Wires the device and model registries, the artifact store, and the hub's signing of what it stores.</summary>
internal static class RegistryServiceCollectionExtensions
{
    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.AddSingleton<DeviceRegistry>();
        services.AddSingleton<ArtifactStore>();
        services.AddSingleton<HubSigningKey>();
        services.AddSingleton<PackageSigner>();
        services.AddSingleton<ModelRegistry>();
        return services;
    }
}
