using EdgeRuntime.Hub.Hosting;

namespace EdgeRuntime.Hub.Broker;

/// <summary>Wires the broker transport the configuration asks for, and the mosquitto files.</summary>
internal static class BrokerServiceCollectionExtensions
{
    public static IServiceCollection AddBroker(this IServiceCollection services, IConfiguration configuration)
    {
        var mode = configuration.GetSection(HubOptions.SectionName).GetSection("Broker").GetValue("Mode", BrokerMode.Embedded);
        if (mode == BrokerMode.External)
        {
            services.AddSingleton<ExternalBrokerClient>();
            services.AddSingleton<IHubTransport>(sp => sp.GetRequiredService<ExternalBrokerClient>());
            services.AddHostedService(sp => sp.GetRequiredService<ExternalBrokerClient>());
        }
        else
        {
            services.AddSingleton<EmbeddedBroker>();
            services.AddSingleton<IHubTransport>(sp => sp.GetRequiredService<EmbeddedBroker>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        }

        services.AddSingleton<MosquittoFiles>();
        services.AddHostedService<MosquittoFilesService>();
        return services;
    }
}
