using System.Diagnostics;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Runs an <c>edge-runtime</c> verb as a real child process and collects its exit code and output.</summary>
internal static class CommandProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string workingDirectory, params string[] args)
    {
        var executable = EdgeRuntimeProcess.PublishedExecutable;
        var info = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        if (executable is null)
        {
            info.ArgumentList.Add(EdgeRuntimeProcess.HostAssembly);
        }

        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start edge-runtime");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return new Result(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
