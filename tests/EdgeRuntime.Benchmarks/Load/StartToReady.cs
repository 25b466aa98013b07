using System.Diagnostics;
using System.Globalization;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// The host's start-to-ready time: process start (<c>dotnet edge-runtime.dll</c>) until
/// <c>/v2/health/ready</c> answers 200, with an empty data directory (installs and optimises the demo
/// model) and again with the optimised-model cache warm. Prints the median of <c>--runs</c> (5).
/// </summary>
internal static class StartToReady
{
    public static async Task<int> RunAsync(CommandArguments arguments)
    {
        var runs = (int)arguments.Number("runs", 5);
        var data = Path.Combine(Path.GetTempPath(), $"edge-bench-{Guid.NewGuid():N}");
        var cold = new List<double>();
        var warm = new List<double>();
        try
        {
            for (var i = 0; i < runs; i++)
            {
                var fresh = Path.Combine(data, $"start-{i}");
                Directory.CreateDirectory(fresh);
                foreach (var times in new[] { cold, warm })
                {
                    var stopwatch = Stopwatch.StartNew();
                    await using var host = await HostProcess.StartAsync(fresh);
                    await host.WaitReadyAsync();
                    times.Add(stopwatch.Elapsed.TotalMilliseconds);
                }
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"start-to-ready, empty data directory (demo install + optimise): median {Median(cold):F0} ms of {runs}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"start-to-ready, warm optimised-model cache: median {Median(warm):F0} ms of {runs}"));
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
