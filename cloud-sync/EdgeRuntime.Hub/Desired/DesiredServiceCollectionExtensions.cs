namespace EdgeRuntime.Hub.Desired;

/// <summary>Wires desired-state computation and publishing.</summary>
internal static class DesiredServiceCollectionExtensions
{
    public static IServiceCollection AddDesiredState(this IServiceCollection services)
    {
        services.AddSingleton<DesiredStateService>();
        return services;
    }
}
