using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// What a package says about itself, unchecked (<see cref="EdgePackageReader.ReadUnverified"/>): the manifest's exact bytes,
/// the manifest when they are valid JSON, the signature when there is one, and the entry names.
/// </summary>
public sealed record PackageContents(byte[] ManifestBytes, ModelManifest? Manifest, PackageSignature? Signature, IReadOnlyList<string> Entries);
