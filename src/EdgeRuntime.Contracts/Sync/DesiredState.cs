namespace EdgeRuntime.Contracts.Sync;

/// <summary>
/// The retained <c>desired</c> message: which model versions the hub wants the device to serve. <see cref="Revision"/>
/// rises with every change for this device; a device ignores a revision lower than the one it applied. Models not
/// listed are left as they are.
/// </summary>
public sealed record DesiredState
{
    public int SchemaVersion { get; init; } = SyncProtocol.SchemaVersion;

    public required long Revision { get; init; }

    /// <summary>When the hub wrote it, Unix milliseconds.</summary>
    public long IssuedAtMs { get; init; }

    public IReadOnlyList<DesiredModel> Models { get; init; } = [];
}

/// <summary>One model version to serve, where to fetch it, and how to roll it out.</summary>
public sealed record DesiredModel
{
    public required string Name { get; init; }

    /// <summary>The version, a positive integer as the model repository's directories name them.</summary>
    public required string Version { get; init; }

    public required ArtifactDescriptor Artifact { get; init; }

    public RolloutSpec Rollout { get; init; } = new();
}

/// <summary>
/// A content-addressed artifact: <see cref="Id"/> is its SHA-256 (lower-case hex), fetched in chunks over
/// <c>artifacts/request</c>. <see cref="Format"/> <c>onnx</c> is a single ONNX model file.
/// </summary>
public sealed record ArtifactDescriptor
{
    public required string Id { get; init; }

    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    public string Format { get; init; } = ArtifactFormats.Onnx;
}

/// <summary>The artifact formats a device knows.</summary>
public static class ArtifactFormats
{
    /// <summary>A single ONNX model file, installed as <c>model.onnx</c>.</summary>
    public const string Onnx = "onnx";
}

/// <summary>How a device moves to a desired version.</summary>
public sealed record RolloutSpec
{
    public string Strategy { get; init; } = RolloutStrategies.Immediate;
}

/// <summary>Rollout strategy names.</summary>
public static class RolloutStrategies
{
    /// <summary>Serve the new version as soon as it is verified and loaded.</summary>
    public const string Immediate = "immediate";
}
