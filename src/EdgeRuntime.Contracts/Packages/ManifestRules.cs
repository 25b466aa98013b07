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

        if (PreprocessingProblem(manifest.Preprocessing) is { } preprocessing)
        {
            return (PackageRejection.InvalidManifest, $"manifest.json {preprocessing}");
        }

        return null;
    }

    /// <summary>What is wrong with a manifest's <c>preprocessing</c>, naming the field (e.g. <c>preprocessing.image.std[1] is 0</c>); null when nothing is.</summary>
    public static string? PreprocessingProblem(ModelPreprocessing? preprocessing)
    {
        if (preprocessing?.Image is not { } image)
        {
            return null;
        }

        const string at = "preprocessing.image.";
        foreach (var (name, size) in new[] { ("width", image.Width), ("height", image.Height) })
        {
            if (size is <= 0 or > ImagePreprocessing.MaxSize)
            {
                return $"{at}{name} is {size}; it must be 1 to {ImagePreprocessing.MaxSize}";
            }
        }

        foreach (var (name, word, words) in new[]
        {
            ("resize", image.Resize, ImagePreprocessing.ResizeModes),
            ("layout", image.Layout, ImagePreprocessing.Layouts),
            ("color", image.Color, ImagePreprocessing.Colors),
        })
        {
            if (word is not null && !words.Contains(word))
            {
                return $"{at}{name} '{PackagePath.Printable(word)}' is not one of {string.Join(", ", words)}";
            }
        }

        if (image.Scale is { } scale && !(double.IsFinite(scale) && scale > 0))
        {
            return $"{at}scale is {scale}; it must be a positive number";
        }

        var channels = image.Color == "gray" ? 1 : 3;
        foreach (var (name, values) in new[] { ("mean", image.Mean), ("std", image.Std) })
        {
            if (values is null)
            {
                continue;
            }

            if (values.Count != 1 && values.Count != channels)
            {
                return channels == 1
                    ? $"{at}{name} has {values.Count} values; it needs 1 (gray has one channel)"
                    : $"{at}{name} has {values.Count} values; it needs 1 or 3 (one per {image.Color ?? "rgb"} channel)";
            }

            for (var i = 0; i < values.Count; i++)
            {
                if (!double.IsFinite(values[i]) || (name == "std" && values[i] == 0))
                {
                    return $"{at}{name}[{i}] is {values[i]}; it must be a finite number{(name == "std" ? " other than 0" : "")}";
                }
            }
        }

        return image.PadValue is < 0 or > 255 ? $"{at}pad_value is {image.PadValue}; it must be 0 to 255" : null;
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
