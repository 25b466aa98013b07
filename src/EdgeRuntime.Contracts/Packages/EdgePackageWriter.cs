using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// Writes model packages. The zip is reproducible for the same manifest and files: fixed entry order (manifest,
/// signature, files in manifest order), fixed timestamps and attributes. The signature is not: ECDSA signatures are
/// randomised, so two signings of the same manifest differ while both verify.
/// </summary>
public static class EdgePackageWriter
{
    /// <summary>The timestamp of every entry: the zip format cannot go earlier than 1980, and a fixed one keeps builds reproducible.</summary>
    private static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // A regular file, rw-r--r--, in the Unix mode bits that unzip tools honour.
    private const int RegularFileAttributes = unchecked((int)(0x81A4u << 16));
    private const int BufferSize = 1 << 16;

    private static readonly ContractsJsonContext IndentedJson = new(new JsonSerializerOptions(ContractsJsonContext.Default.Options)
    {
        WriteIndented = true,

        // The manifest is a file people read (package inspect), never embedded in HTML: keep ' and > as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>
    /// Writes a package of <paramref name="files"/> to <paramref name="output"/>: <paramref name="manifest"/> with its
    /// <c>files</c> filled in (path, size, SHA-256, in the order given), the signature by <paramref name="signingKey"/>
    /// when one is given, and the files. Returns the manifest as written.
    /// </summary>
    /// <exception cref="ArgumentException">The manifest lacks a valid name or version, a path is unsafe or repeated, or the key is not P-256.</exception>
    /// <exception cref="IOException">A file cannot be read, or changed while it was being packed.</exception>
    public static ModelManifest Write(Stream output, ModelManifest manifest, IReadOnlyList<PackageFile> files, ECDsa? signingKey)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(files);
        CheckKey(signingKey);
        var listed = new List<ManifestFile>(files.Count);
        foreach (var file in files)
        {
            var (size, sha256) = Hash(file.SourcePath);
            listed.Add(new ManifestFile(file.EntryPath, size, sha256));
        }

        var complete = manifest with { Files = listed };
        if (ManifestRules.Check(complete) is { } problem)
        {
            throw new ArgumentException($"cannot write the package: {problem.Problem}", nameof(manifest));
        }

        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(complete, IndentedJson.ModelManifest);
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            AddEntry(archive, EdgePackageFormat.ManifestEntry, manifestBytes);
            if (signingKey is not null)
            {
                AddEntry(archive, EdgePackageFormat.SignatureEntry, Sign(manifestBytes, signingKey));
            }

            foreach (var (file, expected) in files.Zip(listed))
            {
                AddFile(archive, file, expected);
            }
        }

        return complete;
    }

    /// <summary>
    /// Copies the package in <paramref name="input"/> to <paramref name="output"/> with <c>manifest.sig</c> replaced (or
    /// added) by a signature by <paramref name="signingKey"/>. The manifest's bytes and the files stay exactly as they
    /// were; nothing is verified beyond the package's structure, so verify the input first.
    /// </summary>
    /// <exception cref="PackageRejectedException">The input is not a package: not a zip, no manifest, or an unsafe structure.</exception>
    public static void Resign(Stream input, Stream output, ECDsa signingKey)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(signingKey);
        CheckKey(signingKey);
        ZipArchive source;
        try
        {
            source = new ZipArchive(input, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new PackageRejectedException(PackageRejection.Unreadable, $"not a readable zip archive: {ex.Message}", ex);
        }

        using (source)
        {
            var entries = PackageEntries.Check(source);
            if (!entries.TryGetValue(EdgePackageFormat.ManifestEntry, out var manifestEntry))
            {
                throw new PackageRejectedException(PackageRejection.MissingManifest, $"the package has no {EdgePackageFormat.ManifestEntry}");
            }

            using var manifestCopy = new MemoryStream();
            CopyEntry(manifestEntry, manifestCopy, EdgePackageReader.MaxManifestBytes);
            var manifestBytes = manifestCopy.ToArray();
            using var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
            AddEntry(archive, EdgePackageFormat.ManifestEntry, manifestBytes);
            AddEntry(archive, EdgePackageFormat.SignatureEntry, Sign(manifestBytes, signingKey));
            foreach (var entry in source.Entries)
            {
                if (entry.FullName is EdgePackageFormat.ManifestEntry or EdgePackageFormat.SignatureEntry)
                {
                    continue;
                }

                using var target = NewEntry(archive, entry.FullName).Open();
                CopyEntry(entry, target, long.MaxValue);
            }
        }
    }

    /// <summary>The <c>manifest.sig</c> bytes for <paramref name="manifestBytes"/> signed by <paramref name="key"/>.</summary>
    internal static byte[] Sign(byte[] manifestBytes, ECDsa key)
    {
        var signature = key.SignData(manifestBytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var document = new PackageSignature(EdgePackageFormat.Algorithm, PackageKeys.KeyId(key), Convert.ToBase64String(signature));
        return JsonSerializer.SerializeToUtf8Bytes(document, IndentedJson.PackageSignature);
    }

    private static void CheckKey(ECDsa? key)
    {
        if (key is not null && !PackageKeys.IsP256(key, out var curve))
        {
            throw new ArgumentException($"the signing key is on curve {curve}; packages are signed with P-256", nameof(key));
        }
    }

    private static (long Size, string Sha256) Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        var hash = SHA256.HashData(stream);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    private static ZipArchiveEntry NewEntry(ZipArchive archive, string name)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        entry.ExternalAttributes = RegularFileAttributes;
        return entry;
    }

    private static void AddEntry(ZipArchive archive, string name, byte[] content)
    {
        using var stream = NewEntry(archive, name).Open();
        stream.Write(content);
    }

    /// <summary>Packs a file, hashing it again on the way: a file that changed since it was listed fails the write instead of making a package that fails verification.</summary>
    private static void AddFile(ZipArchive archive, PackageFile file, ManifestFile expected)
    {
        using var source = new FileStream(file.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            using var target = NewEntry(archive, file.EntryPath).Open();
            int read;
            while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                target.Write(buffer, 0, read);
                size += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (size != expected.Size || Convert.ToHexStringLower(hash.GetHashAndReset()) != expected.Sha256)
        {
            throw new IOException($"{file.SourcePath} changed while the package was being written");
        }
    }

    private static void CopyEntry(ZipArchiveEntry entry, Stream target, long limit)
    {
        try
        {
            using var source = entry.Open();
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                long total = 0;
                int read;
                while ((read = source.Read(buffer, 0, buffer.Length)) > 0)
                {
                    total += read;
                    if (total > limit)
                    {
                        throw new PackageRejectedException(PackageRejection.TooLarge, $"entry '{entry.FullName}' is larger than {limit} bytes");
                    }

                    target.Write(buffer, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new PackageRejectedException(PackageRejection.Unreadable, $"entry '{PackagePath.Printable(entry.FullName)}' is corrupt: {ex.Message}", ex);
        }
    }
}
