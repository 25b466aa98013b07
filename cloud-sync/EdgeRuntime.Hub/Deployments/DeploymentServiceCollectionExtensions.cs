namespace EdgeRuntime.Hub.Deployments;

/// <summary>Wires fleet deployments: the service the API calls and the monitor that moves them along.</summary>
internal static class DeploymentServiceCollectionExtensions
{
    /// <summary>Call after the broker, so its start (which republishes every desired state) precedes the monitor's first refresh.</summary>
    public static IServiceCollection AddDeployments(this IServiceCollection services)
    {
        services.AddSingleton<DeploymentService>();
        services.AddHostedService<DeploymentMonitor>();
        return services;
    }
}
