using System.Runtime.InteropServices;

namespace EdgeRuntime.Hub.Broker;

/// <summary>POSIX signals the .NET API cannot send.</summary>
internal static partial class Signals
{
    private const int SigHup = 1;

    /// <summary>Sends SIGHUP to <paramref name="pid"/>; 0 on success.</summary>
    public static int Hangup(int pid) => Kill(pid, SigHup);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
