using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeRuntime.Device.Deployment;

/// <summary>Files that survive a crash: written to a temporary file, flushed to disk, renamed over the old one, and the rename flushed with its directory.</summary>
internal static partial class DurableFile
{
    private static volatile bool _directorySyncUnavailable;

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> so that the target is either absent or complete.</summary>
    public static async Task CopyAsync(string source, string target, CancellationToken cancellationToken = default)
    {
        var temporary = target + ".tmp";
        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            output.Flush(flushToDisk: true);
        }

        File.Move(temporary, target, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
    }

    /// <summary>
    /// Makes a rename or a new entry in <paramref name="directory"/> survive a power cut: on Linux and macOS the
    /// directory itself is flushed, since a rename changes the directory, not the file. Windows journals it already.
    /// </summary>
    /// <exception cref="IOException">The flush failed (e.g. an I/O error on the device).</exception>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows() || _directorySyncUnavailable)
        {
            return;
        }

        int descriptor;
        try
        {
            descriptor = Open(directory, 0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library this build cannot reach: the files themselves are still flushed.
            _directorySyncUnavailable = true;
            return;
        }

        if (descriptor < 0)
        {
            throw new IOException($"cannot open directory {directory} to flush it: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"cannot flush directory {directory}: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>The SHA-256 of a file's content, lowercase hex.</summary>
    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    public static void Write<T>(string path, T value, JsonTypeInfo<T> typeInfo)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, value, typeInfo);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The value in <paramref name="path"/>; null when the file is missing or unreadable (a torn write cannot happen, a foreign file can).</summary>
    public static T? Read<T>(string path, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
