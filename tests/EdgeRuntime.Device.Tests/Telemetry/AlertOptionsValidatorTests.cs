using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Alert settings that could never work are refused at start, naming the rule and the field.</summary>
public sealed class AlertOptionsValidatorTests
{
    [Test]
    public void Validate_Defaults_Succeed()
    {
        var result = new AlertOptionsValidator().Validate(null, new AlertOptions());
        Assert.That(result.Succeeded, Is.True);
        Assert.That(new AlertOptions().EffectiveRules.Select(r => r.Name), Is.EquivalentTo(new[] { "store_full", "provider_fallback", "drift", "error_rate" }));
    }

    [Test]
    public void Validate_ClearThresholdAboveThreshold_FailsNamingTheRule()
    {
        var options = new AlertOptions { Rules = [new AlertRule { Name = "slow", Condition = AlertCondition.LatencyP95Ms, Threshold = 50, ClearThreshold = 60 }] };
        var result = new AlertOptionsValidator().Validate(null, options);
        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("Rules:0:ClearThreshold 60 is above Threshold 50"));
    }

    [Test]
    public void Validate_DuplicateNameAndBadWebhook_ReportsBoth()
    {
        var options = new AlertOptions
        {
            WebhookUrl = "not a url",
            Rules = [new AlertRule { Name = "a", Threshold = 1 }, new AlertRule { Name = "a", Threshold = 1 }],
        };
        var result = new AlertOptionsValidator().Validate(null, options);
        Assert.That(result.FailureMessage, Does.Contain("WebhookUrl 'not a url'").And.Contain("Rules:1:Name 'a' is used by another rule"));
    }

    [Test]
    public void EffectiveRules_ConfiguredRuleNamedLikeADefault_ReplacesIt()
    {
        var options = new AlertOptions { Rules = [new AlertRule { Name = "drift", Condition = AlertCondition.DriftPsi, Threshold = 0.3 }] };
        Assert.That(options.EffectiveRules.Single(r => r.Name == "drift").Threshold, Is.EqualTo(0.3));
        Assert.That(options.EffectiveRules.Count(r => r.Name == "drift"), Is.EqualTo(1));
    }
}
