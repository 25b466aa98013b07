using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Deployment;

/// <summary>
/// One version of a model in the repository: its state, why, its session while it serves, and whether the
/// version policy wants it served (a selected version that is not ready makes the server not ready).
/// </summary>
public sealed record ModelVersionStatus(long Version, ModelState State, string Reason, ModelSession? Session, FileStamp? Stamp, bool Selected);

/// <summary>Size and modification time of a model file, to notice when it changed on disk.</summary>
public readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
{
    public static FileStamp? Of(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
    }
}
