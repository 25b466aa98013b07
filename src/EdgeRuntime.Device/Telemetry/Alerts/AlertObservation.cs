namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// A rule's value for one subject at one evaluation: a model version, or the device itself (null model).
/// A null value means there was nothing to judge (too few requests), which leaves the alert as it is.
/// </summary>
public readonly record struct AlertObservation(string? Model, string? Version, double? Value);
