namespace EdgeRuntime.Device;

/// <summary>The device's settings, from the <c>EdgeRuntime</c> configuration section.</summary>
public sealed class EdgeRuntimeOptions
{
    public const string SectionName = "EdgeRuntime";

    /// <summary>Where the device keeps its state (model store, caches, state.db); relative paths are under the working directory.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The model repository in Triton's layout; defaults to <c>&lt;data&gt;/models</c>.</summary>
    public string? ModelRepository { get; set; }

    /// <summary>A bundled device profile's name (see devices/profiles) or a path to a profile JSON file.</summary>
    public string Profile { get; set; } = "default";

    /// <summary>Versions served for models without a version_policy of their own: <c>latest:N</c>, <c>all</c> or <c>specific:1,3</c>.</summary>
    public string VersionPolicy { get; set; } = "latest:1";

    /// <summary>How often to re-scan the repository for added, changed and removed versions; 0 turns polling off.</summary>
    public int RepositoryPollSeconds { get; set; } = 10;

    /// <summary>Write the generated demo model into an empty repository at start, so a fresh install answers at once.</summary>
    public bool InstallDemoModel { get; set; } = true;

    public string DataPath => Path.GetFullPath(DataDirectory);

    public string ModelRepositoryPath => Path.GetFullPath(ModelRepository ?? Path.Combine(DataDirectory, "models"));

    public string CachePath => Path.Combine(DataPath, "cache");
}
