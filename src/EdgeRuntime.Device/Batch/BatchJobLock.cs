using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// The exclusive hold a run of a job has on its job database, as the file <c>&lt;database&gt;.lock</c> opened with
/// <see cref="FileShare.None"/> (on Linux and macOS .NET takes an <c>flock</c> on it, which a second open of the file —
/// from another process or this one — cannot get, and which the kernel drops when the process dies, SIGKILL included).
/// The holder writes its process id and job id into the file (<c>&lt;pid&gt; &lt;job&gt;</c>) for the refusal's message.
/// The file is left behind after the run: deleting a lock file races with the next process opening it.
/// </summary>
internal sealed partial class BatchJobLock : IDisposable
{
    private const int ReadOnly = 0;

    private readonly FileStream _file;

    private BatchJobLock(FileStream file) => _file = file;

    /// <summary>Takes the lock at <paramref name="path"/> for job <paramref name="job"/>.</summary>
    /// <exception cref="BatchJobException">Another run holds it, with its process id.</exception>
    /// <exception cref="IOException">The lock file cannot be created.</exception>
    public static BatchJobLock Acquire(string path, string job)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (File.Exists(path) && IsHeld(ex))
        {
            // The job holding it may be another one whose job database this job's output would be.
            var (pid, holder) = ReadHolder(path);
            var running = string.IsNullOrEmpty(holder) ? job : holder;
            throw new BatchJobException(pid == Environment.ProcessId
                ? $"job {running} is running already in this process (pid {pid}); {path} is its lock"
                : $"job {running} is running in another process (pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}); {path} is its lock", ex, BatchJobErrorKind.Conflict);
        }

        try
        {
            file.SetLength(0);
            file.Write(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId} {job}\n")));
            file.Flush();
            return new BatchJobLock(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Whether opening failed because another open file holds the lock (EWOULDBLOCK, or a sharing violation on Windows).</summary>
    private static bool IsHeld(IOException exception) =>
        OperatingSystem.IsWindows() ? (exception.HResult & 0xFFFF) == 32 : exception.HResult is 11 or 35;

    /// <summary>
    /// The process and job ids in a held lock file. .NET's own file APIs cannot read it: each open of the file asks for
    /// a shared <c>flock</c> too, which the holder's exclusive one refuses. A plain <c>open</c> and <c>read</c> take no lock.
    /// </summary>
    private static unsafe (int? Pid, string? Job) ReadHolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return (null, null);
        }

        try
        {
            var descriptor = Open(path, ReadOnly);
            if (descriptor < 0)
            {
                return (null, null);
            }

            const int Size = 1024;
            var buffer = stackalloc byte[Size];
            nint length;
            try
            {
                length = Read(descriptor, buffer, Size);
            }
            finally
            {
                Close(descriptor);
            }

            if (length <= 0)
            {
                return (null, null);
            }

            var text = Encoding.UTF8.GetString(buffer, (int)length).Trim();
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var pid = int.TryParse(space < 0 ? text : text[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : (int?)null;
            return (pid, space < 0 ? null : text[(space + 1)..]);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, null);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int descriptor, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
