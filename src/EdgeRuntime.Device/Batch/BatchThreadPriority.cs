using System.Runtime.InteropServices;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Lowers the scheduling priority of the calling thread, so that batch work yields the cores to online serving. On Linux
/// a nice value is per thread (<c>setpriority(PRIO_PROCESS, gettid(), nice)</c>), so the batch threads of a host sink
/// while its request threads keep nice 0; raising one's own nice needs no privilege. A nice value only weighs shares:
/// a woken request thread may still wait out the batch thread's time slice (milliseconds). With <c>idle</c> the thread
/// also switches to <c>SCHED_IDLE</c> (<c>sched_setscheduler(0, SCHED_IDLE)</c>, also unprivileged): it runs only when no
/// other thread wants the core, and a waking request thread preempts it at once. Elsewhere the thread gets
/// <see cref="ThreadPriority.BelowNormal"/>.
/// </summary>
internal static partial class BatchThreadPriority
{
    private const int PrioProcess = 0;
    private const int SchedIdle = 5;
    private static volatile bool _niceUnavailable;

    /// <summary>
    /// Lowers the calling thread to <paramref name="nice"/> (0–19) and, with <paramref name="idle"/>, to <c>SCHED_IDLE</c>;
    /// false when only the .NET priority could be lowered.
    /// </summary>
    public static bool Lower(int nice, bool idle)
    {
        if (OperatingSystem.IsLinux() && !_niceUnavailable)
        {
            try
            {
                if (SetPriority(PrioProcess, GetThreadId(), nice) == 0)
                {
                    if (idle)
                    {
                        // sched_param holds only the static priority, which SCHED_IDLE requires to be 0.
                        var priority = 0;
                        _ = SetScheduler(0, SchedIdle, ref priority);
                    }

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

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int param);
}
