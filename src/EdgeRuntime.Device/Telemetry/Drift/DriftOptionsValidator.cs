using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Checks <see cref="DriftOptions"/> at start.</summary>
internal sealed class DriftOptionsValidator : IValidateOptions<DriftOptions>
{
    public ValidateOptionsResult Validate(string? name, DriftOptions options)
    {
        const string Section = DriftOptions.SectionName;
        var failures = new List<string>();
        if (options.WindowRows < 1)
        {
            failures.Add($"{Section}:WindowRows: {options.WindowRows} must be at least 1");
        }

        if (options.MaxValuesPerFeature < 1)
        {
            failures.Add($"{Section}:MaxValuesPerFeature: {options.MaxValuesPerFeature} must be at least 1");
        }

        if (!(options.PsiWarn > 0) || !(options.PsiAlert >= options.PsiWarn) || double.IsInfinity(options.PsiAlert))
        {
            failures.Add($"{Section}:PsiWarn/PsiAlert: {options.PsiWarn}/{options.PsiAlert} must satisfy 0 < PsiWarn <= PsiAlert");
        }

        if (!(options.KsWarn > 0) || !(options.KsAlert >= options.KsWarn) || options.KsAlert > 1)
        {
            failures.Add($"{Section}:KsWarn/KsAlert: {options.KsWarn}/{options.KsAlert} must satisfy 0 < KsWarn <= KsAlert <= 1");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
