using System.Globalization;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>What identifies a file's content cheaply: its path, length and last write time.</summary>
internal static class FileFingerprint
{
    public static string Of(string path)
    {
        var file = new FileInfo(path);
        return string.Create(CultureInfo.InvariantCulture, $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}");
    }
}
