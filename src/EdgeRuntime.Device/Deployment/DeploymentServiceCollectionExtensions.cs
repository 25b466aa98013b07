using Microsoft.Extensions.DependencyInjection;

namespace EdgeRuntime.Device.Deployment;

/// <summary>Wires the deployment feature: the model repository and its watcher.</summary>
public static class DeploymentServiceCollectionExtensions
{
    public static IServiceCollection AddDeployment(this IServiceCollection services)
    {
        services.AddEdgeRuntimeOptions();
        services.AddSingleton<ModelRepository>();
        services.AddSingleton<RepositoryWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<RepositoryWatcher>());
        return services;
    }
}
