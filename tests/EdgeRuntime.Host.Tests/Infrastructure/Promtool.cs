using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>
/// Prometheus's own checker (<c>promtool check metrics</c>, from Debian's <c>prometheus</c> package, which
/// <c>.ci/run</c> installs) as the real parser of <c>/metrics</c>, plus sample look-ups for assertions.
/// </summary>
internal static partial class Promtool
{
    /// <summary>Runs <c>promtool check metrics</c> over <paramref name="exposition"/>; returns its exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var path = Find();
        if (path is null)
        {
            const string message = "promtool is not installed (apt-get install prometheus; .ci/run installs it)";
            if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
            {
                Assert.Fail(message);
            }

            Assert.Ignore(message);
        }

        using var process = Process.Start(new ProcessStartInfo(path!, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardInput.WriteAsync(exposition).ConfigureAwait(false);
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    /// <summary>The value of the sample <paramref name="series"/> (name and labels exactly as exported), or null.</summary>
    public static double? Sample(string exposition, string series)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line.AsSpan(series.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Every sample line of the metric family <paramref name="name"/>.</summary>
    public static IReadOnlyList<string> Samples(string exposition, string name) =>
        [.. exposition.Split('\n').Where(l => SampleName().Match(l) is { Success: true } m && m.Groups[1].Value == name)];

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "promtool"))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]")]
    private static partial Regex SampleName();
}
