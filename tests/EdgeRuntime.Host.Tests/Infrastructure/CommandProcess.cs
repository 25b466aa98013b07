using System.Diagnostics;
using System.Text;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Runs an <c>edge-runtime</c> verb as a real child process and collects its exit code and output.</summary>
internal static class CommandProcess
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string workingDirectory, params string[] args)
    {
        await using var running = Start(workingDirectory, args);
        return await running.WaitForExitAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
    }

    /// <summary>Starts the verb and returns at once, for tests that signal or kill it while it works.</summary>
    public static Running Start(string workingDirectory, params string[] args)
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

        return new Running(Process.Start(info) ?? throw new InvalidOperationException("could not start edge-runtime"));
    }

    /// <summary>A verb still running. Disposing it kills the process by its id if it has not ended.</summary>
    public sealed class Running : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _error = new();
        private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Running(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(_output, _outputClosed, e.Data);
            process.ErrorDataReceived += (_, e) => Append(_error, _errorClosed, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int ProcessId => _process.Id;

        public bool HasExited => _process.HasExited;

        /// <summary>Standard error so far (progress lines, reasons).</summary>
        public string Error => Read(_error);

        public string Output => Read(_output);

        /// <summary>Sends <paramref name="signal"/> (e.g. <see cref="PosixSignals.Interrupt"/>, as Ctrl+C does).</summary>
        public void Signal(int signal) => PosixSignals.Send(_process.Id, signal);

        /// <summary>SIGKILL: the process gets no chance to run any code, like a power cut.</summary>
        public async Task KillAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        public async Task<Result> WaitForExitAsync(TimeSpan timeout)
        {
            using var cancellation = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
                await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(cancellation.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"edge-runtime {_process.Id} did not end within {timeout}:\n{Output}\n{Error}");
            }

            return new Result(_process.ExitCode, Output, Error);
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

        private static void Append(StringBuilder text, TaskCompletionSource closed, string? line)
        {
            if (line is null)
            {
                closed.TrySetResult();
                return;
            }

            lock (text)
            {
                text.AppendLine(line);
            }
        }

        private static string Read(StringBuilder text)
        {
            lock (text)
            {
                return text.ToString();
            }
        }
    }
}
