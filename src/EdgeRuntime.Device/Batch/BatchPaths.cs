namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Where batch jobs may read and write. Jobs submitted to the host resolve relative paths under <c>&lt;data&gt;/batch</c>
/// and must stay under one of <see cref="BatchOptions.AllowedRoots"/> once symbolic links are resolved, so that neither
/// <c>..</c> nor a link inside a root leads a job out of it. Every job — in the host or standalone, whatever the roots
/// say — keeps out of the device's own state: the job service's folder (<c>&lt;data&gt;/batch-state</c>), the model
/// repository, the compiled-model cache and the telemetry store (<c>&lt;data&gt;/state.db*</c>).
/// </summary>
internal sealed class BatchPaths
{
    /// <summary>The job service's own folder under the data directory: its registry and the spool of job events.</summary>
    public const string StateFolder = "batch-state";

    private const int MaxLinkDepth = 40;
    private const string TelemetryStoreName = "state.db";

    private static readonly StringComparison PathComparison = OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;

    private readonly string[] _roots;
    private readonly (string Folder, string What)[] _protected;
    private readonly string _dataPath;

    public BatchPaths(EdgeRuntimeOptions runtime, BatchOptions options)
    {
        _dataPath = runtime.DataPath;
        BatchDirectory = Path.Combine(runtime.DataPath, "batch");
        StateDirectory = StateDirectoryUnder(runtime.DataPath);
        _roots = options.AllowedRoots.Count == 0
            ? [BatchDirectory]
            : [.. options.AllowedRoots.Select(root => Path.GetFullPath(Path.Combine(runtime.DataPath, root)))];
        _protected =
        [
            (StateDirectory, "the batch job service's own folder"),
            (runtime.ModelRepositoryPath, "the model repository"),
            (runtime.CachePath, "the compiled-model cache"),
        ];
    }

    /// <summary><c>&lt;data&gt;/batch</c>: where relative paths of submitted jobs point.</summary>
    public string BatchDirectory { get; }

    /// <summary><c>&lt;data&gt;/batch-state</c>: the job registry and the event spool, which no job may touch.</summary>
    public string StateDirectory { get; }

    /// <summary>The allowed roots, absolute.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>The job service's folder under <paramref name="dataPath"/>.</summary>
    public static string StateDirectoryUnder(string dataPath) => Path.Combine(dataPath, StateFolder);

    /// <summary><paramref name="path"/> made absolute: a relative one is under <see cref="BatchDirectory"/>.</summary>
    public string Absolute(string path) => Path.GetFullPath(Path.Combine(BatchDirectory, path));

    /// <summary>Whether <paramref name="path"/> (absolute) lies under an allowed root, links resolved on both sides.</summary>
    public bool IsAllowed(string path)
    {
        var real = Resolve(path);
        return _roots.Any(root => IsUnder(real, Resolve(root)));
    }

    /// <summary>
    /// What of the device's own state <paramref name="path"/> (absolute) would read or overwrite once links are
    /// resolved — e.g. "the model repository /data/models" — or null when it touches none of it.
    /// </summary>
    /// <exception cref="IOException">A link loop.</exception>
    public string? Protected(string path)
    {
        var real = Resolve(path);
        foreach (var (folder, what) in _protected)
        {
            if (IsUnder(real, Resolve(folder)))
            {
                return $"{what} {folder}";
            }
        }

        // The store's WAL and shared-memory files count as much as the store itself.
        var name = Path.GetFileName(real);
        if (name.StartsWith(TelemetryStoreName, PathComparison)
            && string.Equals(Path.GetDirectoryName(real), Resolve(_dataPath).TrimEnd(Path.DirectorySeparatorChar), PathComparison))
        {
            return $"the telemetry store {Path.Combine(_dataPath, TelemetryStoreName)}";
        }

        return null;
    }

    /// <summary>Whether two absolute paths name the same file once links are resolved.</summary>
    public static bool Same(string a, string b) => string.Equals(Resolve(a), Resolve(b), PathComparison);

    /// <summary>A set of paths compared as the file system compares names (case-insensitively off Linux).</summary>
    public static HashSet<string> NewSet() => new(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// <paramref name="path"/> with every symbolic link among its existing components replaced by its final target (as
    /// <c>realpath</c> would, for the part that exists); the components that do not exist yet are kept as they are.
    /// </summary>
    internal static string Resolve(string path) => Resolve(Path.GetFullPath(path), 0);

    private static bool IsUnder(string real, string realFolder)
    {
        var folder = realFolder.TrimEnd(Path.DirectorySeparatorChar);
        return string.Equals(real, folder, PathComparison) || real.StartsWith(folder + Path.DirectorySeparatorChar, PathComparison);
    }

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
