namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Where jobs submitted to the host may read and write: relative paths are under <c>&lt;data&gt;/batch</c>, and every
/// path must lie under one of <see cref="BatchOptions.AllowedRoots"/> once symbolic links are resolved, so that neither
/// <c>..</c> nor a link inside a root leads a job out of it.
/// </summary>
internal sealed class BatchPaths
{
    private const int MaxLinkDepth = 40;

    private static readonly StringComparison PathComparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    private readonly string[] _roots;

    public BatchPaths(EdgeRuntimeOptions runtime, BatchOptions options)
    {
        BatchDirectory = Path.Combine(runtime.DataPath, "batch");
        _roots = options.AllowedRoots.Count == 0
            ? [BatchDirectory]
            : [.. options.AllowedRoots.Select(root => Path.GetFullPath(Path.Combine(runtime.DataPath, root)))];
    }

    /// <summary><c>&lt;data&gt;/batch</c>: where relative paths of submitted jobs point.</summary>
    public string BatchDirectory { get; }

    /// <summary>The allowed roots, absolute.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary><paramref name="path"/> made absolute: a relative one is under <see cref="BatchDirectory"/>.</summary>
    public string Absolute(string path) => Path.GetFullPath(Path.Combine(BatchDirectory, path));

    /// <summary>Whether <paramref name="path"/> (absolute) lies under an allowed root, links resolved on both sides.</summary>
    public bool IsAllowed(string path)
    {
        var real = Resolve(path);
        foreach (var root in _roots)
        {
            var realRoot = Resolve(root).TrimEnd(Path.DirectorySeparatorChar);
            if (string.Equals(real, realRoot, PathComparison) || real.StartsWith(realRoot + Path.DirectorySeparatorChar, PathComparison))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link among its existing components replaced by its final target (as
    /// <c>realpath</c> would, for the part that exists); the components that do not exist yet are kept as they are.
    /// </summary>
    internal static string Resolve(string path) => Resolve(Path.GetFullPath(path), 0);

    private static string Resolve(string full, int depth)
    {
        var root = Path.GetPathRoot(full)!;
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = new FileInfo(next);
            if (info.LinkTarget is null)
            {
                current = next;
                continue;
            }

            if (depth >= MaxLinkDepth)
            {
                throw new IOException($"too many levels of symbolic links under {next}");
            }

            // The target may itself sit behind links (or be relative to the link's folder): resolve it whole, then go on.
            var target = Path.GetFullPath(info.LinkTarget, current);
            current = Resolve(target, depth + 1);
        }

        return current;
    }
}
