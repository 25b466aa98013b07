using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Telemetry settings that could never work are refused at start, naming the key.</summary>
public sealed class TelemetryOptionsValidatorTests
{
    [Test]
    public void Validate_Defaults_Succeed() =>
        Assert.That(new TelemetryOptionsValidator().Validate(null, new TelemetryOptions()).Succeeded, Is.True);

    [Test]
    public void Validate_SampleShareOverOneAndNegativeInterval_FailsNamingBothKeys()
    {
        var options = new TelemetryOptions { SnapshotIntervalSeconds = -1, SamplePredictions = new() { ["demo"] = 1.5 } };
        var result = new TelemetryOptionsValidator().Validate(null, options);
        Assert.That(result.FailureMessage, Does.Contain("SamplePredictions:demo is 1.5").And.Contain("SnapshotIntervalSeconds"));
    }
}
