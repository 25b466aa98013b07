namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>The repository the tests were built from, for its scripts and publish profiles.</summary>
internal static class SourceTree
{
    /// <summary>The directory holding EdgeRuntime.sln, found above the test output.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EdgeRuntime.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("EdgeRuntime.sln not found above the test output");
    }
}
