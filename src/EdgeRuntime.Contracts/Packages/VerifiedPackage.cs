using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// A package that passed every check: its manifest, the id of the key that signed it (null when it is unsigned, which
/// only a trust that allows unsigned packages accepts) and how many bytes it unpacks to (files, manifest and signature).
/// </summary>
public sealed record VerifiedPackage(ModelManifest Manifest, string? KeyId, long UnpackedBytes);
