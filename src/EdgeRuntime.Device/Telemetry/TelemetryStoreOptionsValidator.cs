using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Checks <see cref="TelemetryStoreOptions"/> at start; each failure names its key and the problem.</summary>
internal sealed class TelemetryStoreOptionsValidator : IValidateOptions<TelemetryStoreOptions>
{
    /// <summary>Below this a single batch of metrics would not fit.</summary>
    public const long MinimumMaxBytes = 64 * 1024;

    public ValidateOptionsResult Validate(string? name, TelemetryStoreOptions options)
    {
        var failures = new List<string>();
        const string Section = TelemetryStoreOptions.SectionName;
        if (options.Path is not null && string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add($"{Section}:Path: must not be empty (leave it out for <data>/state.db)");
        }

        if (options.MaxBytes < MinimumMaxBytes)
        {
            failures.Add($"{Section}:MaxBytes: {options.MaxBytes} is below the minimum of {MinimumMaxBytes}");
        }

        if (!(options.MaxAgeHours > 0) || double.IsInfinity(options.MaxAgeHours))
        {
            failures.Add($"{Section}:MaxAgeHours: {options.MaxAgeHours} is not a positive number of hours");
        }

        if (options.ChannelCapacity < 16)
        {
            failures.Add($"{Section}:ChannelCapacity: {options.ChannelCapacity} is below the minimum of 16");
        }

        if (options.WriteBatchSize < 1)
        {
            failures.Add($"{Section}:WriteBatchSize: {options.WriteBatchSize} must be at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
