using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Refuses telemetry settings that could never work, naming the key.</summary>
internal sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options)
    {
        var failures = new List<string>();
        if (!(options.SnapshotIntervalSeconds >= 0))
        {
            failures.Add($"{TelemetryOptions.SectionName}:SnapshotIntervalSeconds must be 0 (off) or more");
        }

        if (options.MaxSampleBytes < 1)
        {
            failures.Add($"{TelemetryOptions.SectionName}:MaxSampleBytes must be at least 1");
        }

        foreach (var (model, rate) in options.SamplePredictions)
        {
            if (!(rate is >= 0 and <= 1))
            {
                failures.Add($"{TelemetryOptions.SectionName}:SamplePredictions:{model} is {rate}; a share must be between 0 and 1");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
