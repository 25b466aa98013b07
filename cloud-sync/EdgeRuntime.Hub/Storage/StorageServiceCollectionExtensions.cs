using EdgeRuntime.Hub.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Storage;

/// <summary>Wires the hub's SQLite store.</summary>
internal static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddHubStore(this IServiceCollection services)
    {
        services.AddSingleton(sp => new HubStore(sp.GetRequiredService<IOptions<HubOptions>>().Value.DataPath));
        return services;
    }
}
