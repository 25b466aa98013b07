using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Drift options that cannot work are refused at start, naming the key.</summary>
public sealed class DriftOptionsValidatorTests
{
    [Test]
    public void Validate_Defaults_Succeeds()
    {
        Assert.That(new DriftOptionsValidator().Validate(null, new DriftOptions()).Succeeded, Is.True);
    }

    [Test]
    public void Validate_AlertBelowWarnAndEmptyWindow_FailsNamingTheKeys()
    {
        var result = new DriftOptionsValidator().Validate(null, new DriftOptions { PsiWarn = 0.3, PsiAlert = 0.2, WindowRows = 0, KsAlert = 1.5 });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("EdgeRuntime:Telemetry:Drift:WindowRows"));
        Assert.That(result.FailureMessage, Does.Contain("PsiWarn/PsiAlert"));
        Assert.That(result.FailureMessage, Does.Contain("KsWarn/KsAlert"));
    }
}
