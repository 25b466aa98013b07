using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Api;

/// <summary>Checks the rollout specs clients send with assignments and deployments; every message names the field.</summary>
internal static class RolloutValidation
{
    /// <summary>
    /// The spec to store from a request's <c>strategy</c> shorthand and <c>rollout</c> (either may be missing: the default
    /// is <c>immediate</c>), or why it is refused. A rollout that leaves its strategy at the default takes the shorthand's.
    /// </summary>
    public static (RolloutSpec? Spec, string? Error) Resolve(string? strategy, RolloutSpec? rollout)
    {
        var spec = rollout ?? new RolloutSpec();
        if (strategy is not null)
        {
            if (spec.Strategy is null or RolloutStrategies.Immediate)
            {
                spec = spec with { Strategy = strategy };
            }
            else if (spec.Strategy != strategy)
            {
                return (null, $"strategy '{strategy}' and rollout.strategy '{spec.Strategy}' disagree; give one of them");
            }
        }

        spec = spec with { Guardrails = spec.Guardrails ?? new GuardrailSpec() };
        return Check(spec) is { } error ? (null, error) : (spec, null);
    }

    private static string? Check(RolloutSpec spec)
    {
        if (spec.Strategy is null || !RolloutStrategies.IsKnown(spec.Strategy))
        {
            return $"strategy '{spec.Strategy}' is not known; use {RolloutStrategies.Immediate}, {RolloutStrategies.BlueGreen}, {RolloutStrategies.Canary} or {RolloutStrategies.Shadow}";
        }

        if (spec.DeploymentId is not null)
        {
            return "rollout.deployment_id is set by the hub's deployments, not by clients";
        }

        if (spec.SplitPercent is { } split && !(split >= 0 && split <= 100))
        {
            return $"rollout.split_percent must be between 0 and 100 (was {split})";
        }

        if (spec.ShadowSampleRate is { } rate && !(rate >= 0 && rate <= 1))
        {
            return $"rollout.shadow_sample_rate must be between 0 and 1 (was {rate})";
        }

        if (spec.AutoAdvanceSeconds is < 0)
        {
            return $"rollout.auto_advance_seconds must not be negative (was {spec.AutoAdvanceSeconds})";
        }

        if (spec.StickyHeader is { } header && (header.Length is 0 or > 256 || !header.All(IsTokenChar)))
        {
            return $"rollout.sticky_header '{header}' is not an HTTP header name";
        }

        var guardrails = spec.Guardrails;
        if (!(guardrails.MaxErrorRate >= 0 && guardrails.MaxErrorRate <= 1))
        {
            return $"rollout.guardrails.max_error_rate must be between 0 and 1 (was {guardrails.MaxErrorRate})";
        }

        if (!(guardrails.MaxDisagreement >= 0 && guardrails.MaxDisagreement <= 1))
        {
            return $"rollout.guardrails.max_disagreement must be between 0 and 1 (was {guardrails.MaxDisagreement})";
        }

        if (!(guardrails.MaxLatencyRatio > 0))
        {
            return $"rollout.guardrails.max_latency_ratio must be positive (was {guardrails.MaxLatencyRatio})";
        }

        if (!(guardrails.AgreementTolerance >= 0))
        {
            return $"rollout.guardrails.agreement_tolerance must not be negative (was {guardrails.AgreementTolerance})";
        }

        if (guardrails.MinRequests < 1 || guardrails.MinLatencySamples < 1 || guardrails.MinShadowSamples < 1)
        {
            return "rollout.guardrails.min_requests, min_latency_samples and min_shadow_samples must be at least 1";
        }

        return null;
    }

    /// <summary>A character of an HTTP token (RFC 9110), which header names are.</summary>
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
