using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>
/// The real <c>edge-runtime</c> executable started as a child process on an ephemeral loopback port, with its
/// own data directory. Disposing it kills the process by its id.
/// </summary>
internal sealed partial class EdgeRuntimeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EdgeRuntimeProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Path of the built host (edge-runtime.dll), copied beside the tests by the project reference.</summary>
    public static string HostAssembly => Path.Combine(AppContext.BaseDirectory, "edge-runtime.dll");

    /// <summary>
    /// A published <c>edge-runtime</c> executable named by <c>EDGE_RUNTIME_EXECUTABLE</c> (a relative path is taken from
    /// the repository root), so every process test can run against a trimmed or Native AOT publish; null runs
    /// <c>dotnet edge-runtime.dll</c>.
    /// </summary>
    public static string? PublishedExecutable =>
        Environment.GetEnvironmentVariable("EDGE_RUNTIME_EXECUTABLE") is { Length: > 0 } path ? Path.GetFullPath(path, SourceTree.Root) : null;

    /// <summary>
    /// Starts the host with <paramref name="args"/> (plus <c>--urls http://127.0.0.1:0</c> unless they give urls)
    /// and waits until it listens. Polling and the demo model are off unless the arguments turn them on.
    /// <paramref name="executable"/> runs a published native executable instead of <c>dotnet edge-runtime.dll</c>.
    /// </summary>
    public static async Task<EdgeRuntimeProcess> StartAsync(string dataDirectory, IEnumerable<string>? args = null, IReadOnlyDictionary<string, string>? environment = null, bool waitForListening = true, string? executable = null)
    {
        executable ??= PublishedExecutable;
        var arguments = new List<string>();
        if (executable is null)
        {
            arguments.Add(HostAssembly);
        }

        var given = args?.ToList() ?? [];
        if (!given.Contains("--urls"))
        {
            arguments.AddRange(["--urls", "http://127.0.0.1:0"]);
        }

        arguments.AddRange(["--data", dataDirectory]);
        arguments.AddRange(given);
        var info = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["EdgeRuntime__RepositoryPollSeconds"] = "0";
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        Directory.CreateDirectory(dataDirectory);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start edge-runtime");
        var host = new EdgeRuntimeProcess(process, dataDirectory);
        process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitForListening)
        {
            await host.WaitListeningAsync().ConfigureAwait(false);
        }

        return host;
    }

    /// <summary>A client for the API, with a generous timeout.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Waits until <c>/v2/health/ready</c> answers 200.</summary>
    public async Task WaitReadyAsync(TimeSpan? timeout = null)
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"edge-runtime exited with {_process.ExitCode}:\n{Output}");
            }

            using var response = await client.GetAsync("/v2/health/ready").ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }

        throw new TimeoutException($"edge-runtime did not become ready:\n{Output}");
    }

    /// <summary>Waits for the process to end by itself (e.g. after refusing its configuration).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Asks the process to stop as a service manager would (SIGTERM).</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            PosixSignals.Send(_process.Id, PosixSignals.Terminate);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private async Task WaitListeningAsync()
    {
        var exited = _process.WaitForExitAsync();
        var finished = await Task.WhenAny(_listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))).ConfigureAwait(false);
        if (finished != _listening.Task)
        {
            throw new InvalidOperationException($"edge-runtime did not start listening:\n{Output}");
        }

        BaseAddress = await _listening.Task.ConfigureAwait(false);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningPattern().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();
}
