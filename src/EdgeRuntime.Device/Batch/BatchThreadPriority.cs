using System.Runtime.InteropServices;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Lowers the scheduling priority of the calling thread, so that batch work yields the cores to online serving. On Linux
/// a nice value is per thread (<c>setpriority(PRIO_PROCESS, gettid(), nice)</c>), so the batch threads of a host sink
/// while its request threads keep nice 0; raising one's own nice needs no privilege. Elsewhere the thread gets
/// <see cref="ThreadPriority.BelowNormal"/>.
/// </summary>
internal static partial class BatchThreadPriority
{
    private const int PrioProcess = 0;
    private static volatile bool _niceUnavailable;

    /// <summary>Lowers the calling thread to <paramref name="nice"/> (0–19); false when only the .NET priority could be lowered.</summary>
    public static bool Lower(int nice)
    {
        if (OperatingSystem.IsLinux() && !_niceUnavailable)
        {
            try
            {
                if (SetPriority(PrioProcess, GetThreadId(), nice) == 0)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // A C library without gettid (glibc before 2.30): the .NET priority below is what is left.
                _niceUnavailable = true;
            }
        }

        Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
        return false;
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
