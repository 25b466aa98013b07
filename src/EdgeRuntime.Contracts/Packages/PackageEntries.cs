using System.IO.Compression;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// The structural checks on a package's zip entries, before anything is read from them: every entry a regular file
/// (no links, directories or devices) with a safe path, no two entries that collide on any file system.
/// </summary>
internal static class PackageEntries
{
    private const uint UnixTypeMask = 0xF000;
    private const uint UnixRegular = 0x8000;
    private const uint UnixSymlink = 0xA000;
    private const int DosDirectory = 0x10;

    /// <summary>The entries by name, or the first structural problem as a <see cref="PackageRejectedException"/>.</summary>
    public static Dictionary<string, ZipArchiveEntry> Check(ZipArchive archive)
    {
        var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        var ignoringCase = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in archive.Entries)
        {
            var name = entry.FullName;
            var printable = PackagePath.Printable(name);

            // The high 16 bits hold the Unix mode when the archive was made on Unix; zero elsewhere.
            var unixType = ((uint)entry.ExternalAttributes >> 16) & UnixTypeMask;
            if (unixType == UnixSymlink)
            {
                throw new PackageRejectedException(PackageRejection.Link, $"entry '{printable}' is a symbolic link; packages hold regular files only");
            }

            if ((unixType != 0 && unixType != UnixRegular) || (entry.ExternalAttributes & DosDirectory) != 0 || name.EndsWith('/'))
            {
                throw new PackageRejectedException(PackageRejection.NonRegularEntry, $"entry '{printable}' is a {Describe(unixType, name)}; packages hold regular files only");
            }

            if (PackagePath.Problem(name) is { } problem)
            {
                throw new PackageRejectedException(PackageRejection.UnsafePath, $"entry '{printable}' {problem}");
            }

            if (byName.ContainsKey(name))
            {
                throw new PackageRejectedException(PackageRejection.DuplicateEntry, $"entry '{printable}' appears twice");
            }

            if (ignoringCase.TryGetValue(name, out var other))
            {
                throw new PackageRejectedException(
                    PackageRejection.DuplicateEntry,
                    $"entries '{PackagePath.Printable(other)}' and '{printable}' differ only in case, so they collide on case-insensitive file systems");
            }

            byName.Add(name, entry);
            ignoringCase.Add(name, name);
        }

        // A file where another entry needs a directory ("a" and "a/b") cannot be unpacked either way round.
        foreach (var name in byName.Keys)
        {
            foreach (var parent in PackagePath.Parents(name))
            {
                if (ignoringCase.TryGetValue(parent, out var file))
                {
                    throw new PackageRejectedException(
                        PackageRejection.DuplicateEntry,
                        $"entry '{PackagePath.Printable(name)}' needs '{PackagePath.Printable(parent)}' to be a directory, but '{PackagePath.Printable(file)}' is a file");
                }
            }
        }

        return byName;
    }

    private static string Describe(uint unixType, string name) => unixType switch
    {
        0x4000 => "directory",
        0x1000 => "FIFO",
        0x2000 => "character device",
        0x6000 => "block device",
        0xC000 => "socket",
        _ when name.EndsWith('/') => "directory",
        0 => "directory",
        _ => $"special file (mode 0x{unixType:X4})",
    };
}
