using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>What a package's manifest must say: a model name and version fit for a repository directory, and a list of
/// files with safe, distinct paths, sizes and SHA-256 hashes. Shared by the writer (which refuses to write a bad one)
/// and the reader.</summary>
internal static class ManifestRules
{
    /// <summary>Everything wrong with <paramref name="manifest"/>'s identity and file list; the first problem, or null.</summary>
    public static (PackageRejection Rejection, string Problem)? Check(ModelManifest manifest)
    {
        if (string.IsNullOrEmpty(manifest.Name))
        {
            return (PackageRejection.InvalidManifest, "manifest.json has no name");
        }

        if (!IsValidName(manifest.Name))
        {
            return (PackageRejection.InvalidManifest, $"manifest.json name '{PackagePath.Printable(manifest.Name)}' is not a valid model name (1-128 letters, digits, '.', '_' or '-', not only dots)");
        }

        if (string.IsNullOrEmpty(manifest.Version))
        {
            return (PackageRejection.InvalidManifest, "manifest.json has no version");
        }

        if (!IsValidVersion(manifest.Version))
        {
            return (PackageRejection.InvalidManifest, $"manifest.json version '{PackagePath.Printable(manifest.Version)}' is not a positive integer");
        }

        if (manifest.Files is not { Count: > 0 } files)
        {
            return (PackageRejection.InvalidManifest, "manifest.json lists no files");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            if (file is null || file.Path is null)
            {
                return (PackageRejection.InvalidManifest, "manifest.json lists a file without a path");
            }

            var path = PackagePath.Printable(file.Path);
            if (PackagePath.Problem(file.Path) is { } problem)
            {
                return (PackageRejection.UnsafePath, $"manifest file '{path}' {problem}");
            }

            if (IsReserved(file.Path))
            {
                return (PackageRejection.InvalidManifest, $"manifest.json lists '{path}', a name the package format keeps for itself");
            }

            if (!seen.Add(file.Path))
            {
                return (PackageRejection.InvalidManifest, $"manifest.json lists '{path}' twice (names that differ only in case collide on some file systems)");
            }

            if (file.Size < 0)
            {
                return (PackageRejection.InvalidManifest, $"manifest.json gives file '{path}' a negative size ({file.Size})");
            }

            if (!IsSha256(file.Sha256))
            {
                return (PackageRejection.InvalidManifest, $"manifest.json gives file '{path}' a sha256 that is not 64 hex digits");
            }
        }

        foreach (var file in files)
        {
            foreach (var parent in PackagePath.Parents(file.Path))
            {
                if (seen.Contains(parent))
                {
                    return (PackageRejection.InvalidManifest, $"manifest.json lists '{PackagePath.Printable(parent)}' as a file and '{PackagePath.Printable(file.Path)}' inside it");
                }
            }
        }

        return null;
    }

    /// <summary>The entries the format itself uses, which no model file may take (compared ignoring case).</summary>
    public static bool IsReserved(string path) =>
        string.Equals(path, EdgePackageFormat.ManifestEntry, StringComparison.OrdinalIgnoreCase)
        || string.Equals(path, EdgePackageFormat.SignatureEntry, StringComparison.OrdinalIgnoreCase);

    /// <summary>A model name as Triton and the hub name them: 1–128 letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, not only dots.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 128 && !name.All(c => c == '.') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>A version as the repository's directories name them: a positive integer without sign or leading zeros.</summary>
    public static bool IsValidVersion(string version) =>
        version.Length is > 0 and <= 18 && version[0] != '0' && version.All(char.IsAsciiDigit);

    private static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);
}
