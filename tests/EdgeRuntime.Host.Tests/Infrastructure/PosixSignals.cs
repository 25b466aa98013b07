using System.Runtime.InteropServices;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Sends a signal to one process, by its id, as a shell's <c>kill -SIG pid</c> would.</summary>
internal static class PosixSignals
{
    public const int Interrupt = 2;
    public const int Terminate = 15;

    /// <summary>
    /// Whether this process ignores <paramref name="signal"/> (the <c>SigIgn</c> mask of /proc/self/status). A shell
    /// starts background jobs with SIGINT ignored, the children inherit that, and .NET keeps an inherited ignore: a
    /// process started from such a test cannot see Ctrl+C at all.
    /// </summary>
    public static bool IsIgnored(int signal)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & (1UL << (signal - 1))) != 0;
    }

    public static void Send(int processId, int signal)
    {
        if (Kill(processId, signal) != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {processId} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
