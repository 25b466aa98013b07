using System.Runtime.InteropServices;

namespace EdgeRuntime.Host.Tests.Infrastructure;

/// <summary>Sends a signal to one process, by its id, as a shell's <c>kill -SIG pid</c> would.</summary>
internal static class PosixSignals
{
    public const int Interrupt = 2;
    public const int Terminate = 15;

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
