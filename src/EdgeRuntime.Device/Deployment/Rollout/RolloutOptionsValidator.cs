using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Refuses rollout settings that cannot work, with the setting's full name in the message.</summary>
internal sealed class RolloutOptionsValidator : IValidateOptions<RolloutOptions>
{
    public ValidateOptionsResult Validate(string? name, RolloutOptions options)
    {
        var failures = new List<string>();
        if (options.KeepVersions < 1)
        {
            failures.Add($"{RolloutOptions.SectionName}:KeepVersions must be at least 1 (the stable version), not {options.KeepVersions}");
        }

        if (options.MaxModelBytes < 0 || options.MaxPackageBytes < 1)
        {
            failures.Add($"{RolloutOptions.SectionName}:MaxModelBytes must not be negative and MaxPackageBytes must be positive");
        }

        if (options.MirrorQueueCapacity < 1)
        {
            failures.Add($"{RolloutOptions.SectionName}:MirrorQueueCapacity: {options.MirrorQueueCapacity} is not a queue size (1 or more)");
        }

        if (options.ShadowReportSeconds < 1)
        {
            failures.Add($"{RolloutOptions.SectionName}:ShadowReportSeconds must be at least 1");
        }

        if (options.DefaultSplitPercent is < 0 or > 100 || options.DefaultShadowSampleRate is < 0 or > 1)
        {
            failures.Add($"{RolloutOptions.SectionName}:DefaultSplitPercent must be 0–100 and DefaultShadowSampleRate 0–1");
        }

        if (options.PauseAt is { } step && !RolloutSteps.All.Contains(step))
        {
            failures.Add($"{RolloutOptions.SectionName}:PauseAt '{step}' is not a step; steps are {string.Join(", ", RolloutSteps.All)}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
