using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Serving;

/// <summary>Checks <see cref="ResponseCacheOptions"/> at start.</summary>
internal sealed class ResponseCacheOptionsValidator : IValidateOptions<ResponseCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, ResponseCacheOptions options)
    {
        var failures = new List<string>();
        if (options.MaxBytes < 0)
        {
            failures.Add($"{ResponseCacheOptions.SectionName}:MaxBytes: {options.MaxBytes} is negative (0 turns the cache off)");
        }

        if (options.TtlSeconds < 0 || double.IsNaN(options.TtlSeconds))
        {
            failures.Add($"{ResponseCacheOptions.SectionName}:TtlSeconds: {options.TtlSeconds} is not a duration (0 keeps answers until evicted)");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
