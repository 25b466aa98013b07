namespace EdgeRuntime.Device.Inference;

/// <summary>
/// A provider the profile preferred that the session does not run on, and why. <see cref="Failed"/> tells a
/// provider this ONNX Runtime build offers but that failed to start (a fallback worth an alert: a missing
/// driver, a busy or broken accelerator) from one the build does not have at all.
/// </summary>
public sealed record ProviderAttempt(string Provider, string Reason, bool Failed = false);
