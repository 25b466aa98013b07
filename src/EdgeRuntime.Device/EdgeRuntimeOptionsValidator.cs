using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device;

/// <summary>Checks the <c>EdgeRuntime</c> section at start; each failure names its key and the problem.</summary>
internal sealed class EdgeRuntimeOptionsValidator : IValidateOptions<EdgeRuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeRuntimeOptions options)
    {
        var failures = new List<string>();
        const string Section = EdgeRuntimeOptions.SectionName;
        try
        {
            DeviceProfiles.Load(options.Profile);
        }
        catch (InvalidDataException ex)
        {
            failures.Add($"{Section}:Profile: {ex.Message}");
        }

        if (!VersionPolicy.TryParse(options.VersionPolicy, out _))
        {
            failures.Add($"{Section}:VersionPolicy: '{options.VersionPolicy}' is not latest:N, all or specific:1,2");
        }

        if (options.RepositoryPollSeconds < 0)
        {
            failures.Add($"{Section}:RepositoryPollSeconds: {options.RepositoryPollSeconds} is negative (0 turns polling off)");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add($"{Section}:DataDirectory: must not be empty");
        }
        else
        {
            try
            {
                Directory.CreateDirectory(options.DataPath);
                Directory.CreateDirectory(options.ModelRepositoryPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add($"{Section}:DataDirectory/ModelRepository: cannot create {options.ModelRepositoryPath}: {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
