using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Packages;

/// <summary>Wires model packages: the trust options (section <c>EdgeRuntime:Packages</c>, validated at start) and the <see cref="PackageTrustProvider"/>.</summary>
public static class PackageServiceCollectionExtensions
{
    public static IServiceCollection AddPackages(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(PackageTrustProvider)))
        {
            return services;
        }

        services.AddOptions<PackageOptions>().BindConfiguration(PackageOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PackageOptions>, PackageOptionsValidator>());
        services.TryAddSingleton<PackageTrustProvider>();
        return services;
    }
}
