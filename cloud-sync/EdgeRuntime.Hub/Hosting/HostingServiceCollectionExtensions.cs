using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Hosting;

/// <summary>Wires the hub's options (validated at start), its clock and the API token.</summary>
internal static class HostingServiceCollectionExtensions
{
    public static IServiceCollection AddHubOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HubOptions>().Bind(configuration.GetSection(HubOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ApiToken(sp.GetRequiredService<IOptions<HubOptions>>().Value));
        services.AddHostedService<ApiTokenReporter>();
        return services;
    }
}
