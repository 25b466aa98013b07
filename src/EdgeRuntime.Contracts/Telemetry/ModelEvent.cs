namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>
/// The payload of a model lifecycle event in the telemetry store: <c>model_loaded</c>,
/// <c>provider_fallback</c>, <c>model_load_failed</c> or <c>model_unloaded</c>.
/// </summary>
public sealed record ModelEvent
{
    public required string Model { get; init; }

    /// <summary>The version; <c>-</c> when the model's configuration failed before any version was tried.</summary>
    public required string Version { get; init; }

    /// <summary>The provider the version runs on (loaded and fallback events).</summary>
    public string? ExecutionProvider { get; init; }

    /// <summary>Providers the device profile preferred but could not use, with why (fallback events).</summary>
    public IReadOnlyList<SkippedProvider>? SkippedProviders { get; init; }

    /// <summary>Why the load failed (load-failed events).</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// An execution provider passed over, and why; <see cref="Failed"/> when the build offers it but it failed
/// to start (a fallback), rather than the build lacking it.
/// </summary>
public sealed record SkippedProvider(string Provider, string Reason, bool Failed);
