using System.Globalization;
using System.Text;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// The one rule for paths inside a package, for zip entries and manifest files alike: relative, <c>/</c>-separated,
/// no empty, <c>.</c> or <c>..</c> segments, no backslashes, drive letters or control characters, and still inside
/// the package once resolved.
/// </summary>
internal static class PackagePath
{
    // Only where the path would land matters for this check, so any absolute directory does; nothing is created there.
    private static readonly string CheckRoot = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "edgepkg-path-check"));

    /// <summary>What is wrong with <paramref name="path"/> (to follow "entry 'x' "), or null when it is a safe relative path.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
        {
            return "has an empty name";
        }

        if (path.Any(char.IsControl))
        {
            return "contains a control character (such as NUL)";
        }

        if (path[0] is '/' or '\\' || (path.Length >= 2 && char.IsAsciiLetter(path[0]) && path[1] == ':'))
        {
            return "is an absolute path";
        }

        var segments = path.Split('/');
        if (segments.Any(s => s == ".."))
        {
            return "escapes the package (path traversal)";
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "contains a backslash (package paths use '/')";
        }

        if (segments.Any(s => s.Length == 0))
        {
            return "has an empty path segment";
        }

        if (segments.Any(s => s == "."))
        {
            return "has a '.' segment";
        }

        // Names that mean something else on Windows: a ':' opens an alternate data stream, trailing dots and spaces are
        // dropped (so "model.onnx." would overwrite "model.onnx"), and device names open devices.
        if (path.Contains(':', StringComparison.Ordinal))
        {
            return "contains ':' (a drive or stream separator on Windows)";
        }

        if (segments.FirstOrDefault(s => s[^1] is '.' or ' ' || IsDeviceName(s)) is { } unportable)
        {
            return $"has the segment '{unportable}', which Windows cannot keep as a file name (a trailing dot or space, or a device name)";
        }

        // Belt and braces: whatever the rules above missed on this platform, the resolved path must stay inside.
        return Resolve(CheckRoot, path) is null ? "escapes the package (path traversal)" : null;
    }

    private static bool IsDeviceName(string segment)
    {
        var stem = segment.Split('.')[0].TrimEnd(' ');
        return stem.Length is 3 or 4
            && (stem.ToUpperInvariant() is "CON" or "PRN" or "AUX" or "NUL"
                || (stem.Length == 4 && stem[..3].ToUpperInvariant() is "COM" or "LPT" && stem[3] is >= '1' and <= '9'));
    }

    /// <summary>The full path of <paramref name="path"/> under <paramref name="root"/> (a full path), or null when it would land outside.</summary>
    public static string? Resolve(string root, string path)
    {
        var full = Path.GetFullPath(Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar)));
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, StringComparison.Ordinal) && full.Length > prefix.Length ? full : null;
    }

    /// <summary><paramref name="path"/> fit for a message: control characters escaped, so a NUL does not cut the text short.</summary>
    public static string Printable(string path)
    {
        if (!path.Any(char.IsControl))
        {
            return path;
        }

        var text = new StringBuilder(path.Length + 8);
        foreach (var c in path)
        {
            text.Append(c == '\0' ? "\\0" : char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return text.ToString();
    }

    /// <summary>The directories <paramref name="path"/> sits in, outermost first: <c>a/b/c</c> gives <c>a</c>, <c>a/b</c>.</summary>
    public static IEnumerable<string> Parents(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }
}
