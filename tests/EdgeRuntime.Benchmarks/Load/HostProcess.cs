using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>The host (<c>edge-runtime.dll</c> beside this program) as a child process on an ephemeral loopback port.</summary>
internal sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HostProcess> StartAsync(string data)
    {
        var hostDll = Path.Combine(AppContext.BaseDirectory, "edge-runtime.dll");
        var info = new ProcessStartInfo("dotnet", [hostDll, "--urls", "http://127.0.0.1:0", "--data", data, "--EdgeRuntime:RepositoryPollSeconds", "0", "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = data,
        };
        var process = Process.Start(info)!;
        var listening = new TaskCompletionSource<Uri>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && Listening().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return new HostProcess(process, await listening.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async Task WaitReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = BaseAddress };
        while (true)
        {
            using var response = await client.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(2);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
