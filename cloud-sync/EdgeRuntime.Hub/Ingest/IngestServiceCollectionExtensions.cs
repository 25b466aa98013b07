namespace EdgeRuntime.Hub.Ingest;

/// <summary>Wires the record writer and the message handler both transports feed.</summary>
internal static class IngestServiceCollectionExtensions
{
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<RecordWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<RecordWriter>());
        services.AddSingleton<HubMessageHandler>();
        return services;
    }
}
