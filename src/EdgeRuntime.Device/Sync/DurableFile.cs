using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeRuntime.Device.Sync;

/// <summary>Small state files that survive a crash: written to a temporary file, flushed to disk, then renamed over the old one.</summary>
internal static class DurableFile
{
    public static void Write<T>(string path, T value, JsonTypeInfo<T> typeInfo)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, value, typeInfo);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
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
}
