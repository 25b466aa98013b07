namespace EdgeRuntime.Hub.Retraining;

/// <summary>Wires the retraining webhook's delivery worker.</summary>
internal static class RetrainingServiceCollectionExtensions
{
    public static IServiceCollection AddRetraining(this IServiceCollection services)
    {
        services.AddHttpClient(RetrainingWebhook.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        services.AddHostedService<RetrainingWebhook>();
        return services;
    }
}
