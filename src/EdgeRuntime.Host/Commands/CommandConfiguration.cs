using EdgeRuntime.Device;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// The host's configuration for verbs that work on the device's own state (its data directory, model store and
/// profile): the same sources in the same order as the server reads them — <c>appsettings.json</c> and
/// <c>appsettings.{environment}.json</c> in the working directory (the host's content root), environment variables
/// (<c>EdgeRuntime__*</c>), then the command line with the host's short aliases — so a verb and the server started the
/// same way agree on where things are.
/// </summary>
internal static class CommandConfiguration
{
    /// <summary>Whether <paramref name="option"/> is a configuration setting rather than one of the verb's own options.</summary>
    public static bool IsSetting(string option) =>
        option is "--data" or "--models" or "--profile"
        || option.StartsWith($"--{EdgeRuntimeOptions.SectionName}:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Builds the configuration from the usual sources and <paramref name="settings"/> (as <see cref="IsSetting"/> picked them).</summary>
    public static IConfiguration Build(IReadOnlyList<string> settings)
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environments.Production;
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. settings], CommandLineAliases.Map)
            .Build();
    }

    /// <summary>The <c>EdgeRuntime</c> section, checked as the server checks it at start; a bad setting is a usage error naming the key.</summary>
    public static EdgeRuntimeOptions EdgeRuntime(IConfiguration configuration)
    {
        var options = new EdgeRuntimeOptions();
        configuration.GetSection(EdgeRuntimeOptions.SectionName).Bind(options);
        var result = new EdgeRuntimeOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failed ? throw new CommandException(result.FailureMessage) : options;
    }

    /// <summary>The <c>EdgeRuntime:Batch</c> section, checked as the server checks it at start.</summary>
    public static BatchOptions Batch(IConfiguration configuration)
    {
        var options = new BatchOptions();
        configuration.GetSection(BatchOptions.SectionName).Bind(options);
        var result = new BatchOptionsValidator().Validate(Options.DefaultName, options);
        return result.Failed ? throw new CommandException(result.FailureMessage) : options;
    }

    /// <summary>The device profile the server would run with.</summary>
    public static DeviceProfile Profile(EdgeRuntimeOptions options)
    {
        try
        {
            return DeviceProfiles.Load(options.Profile);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException($"{EdgeRuntimeOptions.SectionName}:Profile: {ex.Message}", ex);
        }
    }
}
