using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace EdgeRuntime.Benchmarks;

/// <summary>
/// BenchmarkDotNet's defaults (loggers, columns, exporters) with one job that runs inside this process (no
/// generated project to build, which takes minutes on a 2-core machine) and is short enough for the
/// whole set to finish in minutes (3 warm-up and 10 measured iterations of about 0.5 s each), and the
/// memory diagnoser, which counts managed allocations per operation. Results go to artifacts/bench/dotnet.
/// </summary>
internal sealed class InProcessConfig : ManualConfig
{
    public InProcessConfig()
    {
        Add(DefaultConfig.Instance);
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithId("InProcess"));
        AddDiagnoser(MemoryDiagnoser.Default);
        ArtifactsPath = Path.Combine(RepositoryRoot(), "artifacts", "bench", "dotnet");
    }

    /// <summary>The checkout this build came from (the folder holding EdgeRuntime.sln), else the working directory.</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EdgeRuntime.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
