using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Refuses alert settings that could never work, naming the rule and the field.</summary>
internal sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        var failures = new List<string>();
        if (!(options.EvaluationIntervalSeconds > 0))
        {
            failures.Add($"{AlertOptions.SectionName}:EvaluationIntervalSeconds must be above 0");
        }

        if (!(options.WebhookTimeoutSeconds > 0))
        {
            failures.Add($"{AlertOptions.SectionName}:WebhookTimeoutSeconds must be above 0");
        }

        if (!string.IsNullOrWhiteSpace(options.WebhookUrl)
            && !(Uri.TryCreate(options.WebhookUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"{AlertOptions.SectionName}:WebhookUrl '{options.WebhookUrl}' is not an absolute http or https URL");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            var where = $"{AlertOptions.SectionName}:Rules:{i}";
            if (string.IsNullOrWhiteSpace(rule.Name))
            {
                failures.Add($"{where}:Name is required");
            }
            else if (!names.Add(rule.Name))
            {
                failures.Add($"{where}:Name '{rule.Name}' is used by another rule");
            }

            if (!Enum.IsDefined(rule.Condition))
            {
                failures.Add($"{where}:Condition is not one of {string.Join(", ", Enum.GetNames<AlertCondition>())}");
            }

            if (rule.ForSeconds < 0 || rule.ClearForSeconds < 0)
            {
                failures.Add($"{where}: ForSeconds and ClearForSeconds cannot be negative");
            }

            if (rule.EffectiveClearThreshold > rule.Threshold)
            {
                failures.Add($"{where}:ClearThreshold {rule.ClearThreshold} is above Threshold {rule.Threshold}; it must be at or below it");
            }

            if (rule.MinRequests < 1)
            {
                failures.Add($"{where}:MinRequests must be at least 1");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
