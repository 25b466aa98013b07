using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Checks <see cref="RolloutTrafficOptions"/> at start.</summary>
internal sealed class RolloutTrafficOptionsValidator : IValidateOptions<RolloutTrafficOptions>
{
    public ValidateOptionsResult Validate(string? name, RolloutTrafficOptions options) =>
        options.MirrorQueueCapacity < 1
            ? ValidateOptionsResult.Fail($"{RolloutTrafficOptions.SectionName}:MirrorQueueCapacity: {options.MirrorQueueCapacity} is not a queue size (1 or more)")
            : ValidateOptionsResult.Success;
}
