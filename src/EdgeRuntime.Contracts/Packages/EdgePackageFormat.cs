namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// The model package (<c>.edgepkg</c>): a zip holding <see cref="ManifestEntry"/> (a <see cref="Models.ModelManifest"/>),
/// optionally <see cref="SignatureEntry"/> (a <see cref="PackageSignature"/> over the exact bytes of the manifest entry) and
/// the model files at the relative paths the manifest lists, each bound to it by size and SHA-256.
/// </summary>
public static class EdgePackageFormat
{
    public const string Extension = ".edgepkg";

    public const string ManifestEntry = "manifest.json";

    public const string SignatureEntry = "manifest.sig";

    /// <summary>ECDSA on NIST P-256 over the SHA-256 of the manifest bytes, the signature in IEEE P1363 form (r‖s, 64 bytes).</summary>
    public const string Algorithm = "ECDSA-P256-SHA256";

    /// <summary>Whether a package may carry <paramref name="name"/>: 1–128 letters, digits, <c>.</c>, <c>_</c> or <c>-</c>, not only dots (as Triton and the hub name models).</summary>
    public static bool IsValidModelName(string? name) => name is not null && ManifestRules.IsValidName(name);

    /// <summary>Whether a package may carry <paramref name="version"/>: a positive integer without sign or leading zeros (the repository's directory names).</summary>
    public static bool IsValidVersion(string? version) => version is not null && ManifestRules.IsValidVersion(version);

    /// <summary>What is wrong with a manifest's <c>preprocessing</c> (sizes, words, mean and std), naming the field; null when nothing is.</summary>
    public static string? PreprocessingProblem(Models.ModelPreprocessing? preprocessing) => ManifestRules.PreprocessingProblem(preprocessing);
}
