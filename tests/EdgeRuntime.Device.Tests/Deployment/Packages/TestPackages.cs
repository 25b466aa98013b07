using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary>
/// A temporary directory for packages, and packages crafted entry by entry with <see cref="ZipArchive"/> (so the tests
/// can build what the writer never would), signed independently of the library by the format's own rules.
/// </summary>
internal sealed class TestPackages : IDisposable
{
    public TestPackages()
    {
        Directory.CreateDirectory(DirectoryPath);
    }

    public string DirectoryPath { get; } = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"packages-{Guid.NewGuid():N}");

    public string PathOf(string name) => Path.Combine(DirectoryPath, name);

    /// <summary>Writes <paramref name="files"/> into a fresh directory and returns it with the package files for the writer.</summary>
    public (string Directory, List<PackageFile> Files) SourceFiles(params (string Path, byte[] Content)[] files)
    {
        var directory = PathOf($"src-{Guid.NewGuid():N}");
        var list = new List<PackageFile>();
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, content);
            list.Add(new PackageFile(path, full));
        }

        return (directory, list);
    }

    /// <summary>A package written by the library from <paramref name="files"/>.</summary>
    public string Write(string name, ECDsa? key, params (string Path, byte[] Content)[] files)
    {
        var (_, list) = SourceFiles(files);
        var path = PathOf(name);
        using var output = File.Create(path);
        EdgePackageWriter.Write(output, new ModelManifest { Name = "m", Version = "1", CreatedMs = 1 }, list, key);
        return path;
    }

    /// <summary>The manifest bytes listing <paramref name="files"/> by size and SHA-256.</summary>
    public static byte[] Manifest(params (string Path, byte[] Content)[] files) =>
        Manifest("m", "1", [.. files.Select(f => new ManifestFile(f.Path, f.Content.Length, Convert.ToHexStringLower(SHA256.HashData(f.Content))))]);

    public static byte[] Manifest(string? name, string? version, IReadOnlyList<ManifestFile>? files) =>
        JsonSerializer.SerializeToUtf8Bytes(new ModelManifest { Name = name, Version = version, Files = files }, ContractsJsonContext.Default.ModelManifest);

    /// <summary>A <c>manifest.sig</c> over <paramref name="manifest"/>: ECDSA P-256, SHA-256, IEEE P1363, base64, key id from the SPKI.</summary>
    public static byte[] Signature(byte[] manifest, ECDsa key)
    {
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())[..16]);
        var signature = key.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Encoding.UTF8.GetBytes($$"""{"algorithm":"ECDSA-P256-SHA256","key_id":"{{keyId}}","signature":"{{Convert.ToBase64String(signature)}}"}""");
    }

    /// <summary>A zip of exactly <paramref name="entries"/>, in order; an entry's attributes default to a regular file's.</summary>
    public string Craft(string name, params Entry[] entries)
    {
        var path = PathOf(name);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var entry in entries)
        {
            var zipEntry = archive.CreateEntry(entry.Name);
            zipEntry.ExternalAttributes = entry.Attributes ?? unchecked((int)(0x81A4u << 16));
            using var stream = zipEntry.Open();
            stream.Write(entry.Content);
        }

        return path;
    }

    /// <summary>A signed (by <paramref name="key"/>, when given) package of <paramref name="files"/> plus <paramref name="extra"/> entries the manifest does not list.</summary>
    public string CraftPackage(string name, ECDsa? key, (string Path, byte[] Content)[] files, params Entry[] extra)
    {
        var manifest = Manifest(files);
        var entries = new List<Entry> { new(EdgePackageFormat.ManifestEntry, manifest) };
        if (key is not null)
        {
            entries.Add(new Entry(EdgePackageFormat.SignatureEntry, Signature(manifest, key)));
        }

        entries.AddRange(files.Select(f => new Entry(f.Path, f.Content)));
        entries.AddRange(extra);
        return Craft(name, [.. entries]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    /// <summary>A zip entry to craft: its exact name, content and external attributes.</summary>
    public sealed record Entry(string Name, byte[] Content, int? Attributes = null);
}
