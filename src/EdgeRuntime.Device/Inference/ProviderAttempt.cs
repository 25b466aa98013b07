namespace EdgeRuntime.Device.Inference;

/// <summary>A provider the profile preferred that the session does not run on, and why.</summary>
public sealed record ProviderAttempt(string Provider, string Reason);
