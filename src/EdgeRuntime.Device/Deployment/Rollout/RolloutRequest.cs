using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// A version to roll out: from a package file (<see cref="PackagePath"/>), from a raw ONNX file where unsigned models
/// are allowed (<see cref="ModelFilePath"/>), or, with neither, a version already installed (kept for rollback).
/// </summary>
public sealed record RolloutRequest
{
    public required string Model { get; init; }

    public required string Version { get; init; }

    public RolloutSpec Spec { get; init; } = new();

    /// <summary>One of <see cref="RolloutSources"/>.</summary>
    public string Source { get; init; } = RolloutSources.Local;

    /// <summary>A <c>.edgepkg</c> to stage; the controller copies it into its own store.</summary>
    public string? PackagePath { get; init; }

    /// <summary>The package's SHA-256 when the caller already checked it (a downloaded artifact); computed otherwise.</summary>
    public string? PackageSha256 { get; init; }

    /// <summary>A bare ONNX file to stage without a manifest (only with <c>EdgeRuntime:Packages:AllowUnsigned</c>).</summary>
    public string? ModelFilePath { get; init; }

    /// <summary>The hub's desired revision that asked for it.</summary>
    public long? Revision { get; init; }

    /// <summary>Try again even though this very package failed or was rolled back before.</summary>
    public bool Retry { get; init; }
}

/// <summary>
/// How a rollout request ended: <see cref="Ok"/> when the version is stable or taking traffic in its strategy's first
/// phase; otherwise the <see cref="Step"/> that failed and why, and the stable version serves as before.
/// </summary>
public sealed record RolloutResult(bool Ok, RolloutState State, string? Step = null, string? Reason = null)
{
    public static RolloutResult Failure(RolloutState state, string step, string reason) => new(false, state, step, reason);
}
