using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeRuntime.Contracts.Models;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// Checks model packages before anything in them is used: structure (regular files with safe, distinct paths), the
/// signature over the exact manifest bytes against a <see cref="PackageTrust"/>, that the entries are exactly the files
/// the manifest lists, and every file's size and SHA-256, counting the bytes actually decompressed against a limit so a
/// zip bomb stops early whatever its headers claim.
/// </summary>
public static class EdgePackageReader
{
    /// <summary>Larger manifests are refused: even a drift baseline and a smoke test fit in a fraction of this.</summary>
    public const int MaxManifestBytes = 64 << 20;

    private const int MaxSignatureBytes = 64 << 10;
    private const int BufferSize = 1 << 16;

    /// <summary>
    /// Checks the package at <paramref name="packagePath"/> without extracting it: every file is decompressed through
    /// SHA-256 and dropped.
    /// </summary>
    /// <exception cref="PackageRejectedException">The package failed a check; the message says which and why.</exception>
    public static VerifiedPackage Verify(string packagePath, PackageTrust trust, long maxUnpackedBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(trust);
        using var package = Open(packagePath, trust, maxUnpackedBytes);
        var total = package.MetadataBytes;
        foreach (var file in package.Manifest.Files!)
        {
            total += Copy(package.Entries[file.Path], file, Stream.Null, total, maxUnpackedBytes);
        }

        return new VerifiedPackage(package.Manifest, package.KeyId, total);
    }

    /// <summary>
    /// Checks the package as <see cref="Verify"/> does and unpacks it into <paramref name="targetDirectory"/> (which must
    /// not exist or be empty): the files at their manifest paths, then <c>manifest.json</c> (the signed bytes) and
    /// <c>manifest.sig</c>. Files are created new, hashed while written and flushed to disk. On any failure everything
    /// written is deleted again, the directory too when this call created it.
    /// </summary>
    /// <exception cref="PackageRejectedException">The package failed a check; the message says which and why.</exception>
    /// <exception cref="IOException">The target is not empty, or could not be written (e.g. the disk is full).</exception>
    public static VerifiedPackage VerifyAndExtract(string packagePath, PackageTrust trust, string targetDirectory, long maxUnpackedBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentException.ThrowIfNullOrEmpty(targetDirectory);
        var target = Path.GetFullPath(targetDirectory);
        if (File.Exists(target))
        {
            throw new IOException($"cannot unpack into {target}: it is a file");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
        {
            throw new IOException($"cannot unpack into {target}: the directory is not empty");
        }

        using var package = Open(packagePath, trust, maxUnpackedBytes);
        var written = new Stack<(string Path, bool IsDirectory)>();
        try
        {
            if (!Directory.Exists(target))
            {
                Directory.CreateDirectory(target);
                written.Push((target, true));
            }

            var total = package.MetadataBytes;
            foreach (var file in package.Manifest.Files!)
            {
                var path = PackagePath.Resolve(target, file.Path)
                    ?? throw new PackageRejectedException(PackageRejection.UnsafePath, $"manifest file '{PackagePath.Printable(file.Path)}' escapes the package (path traversal)");
                foreach (var parent in PackagePath.Parents(file.Path))
                {
                    var directory = Path.Combine(target, parent.Replace('/', Path.DirectorySeparatorChar));
                    if (!Directory.Exists(directory))
                    {
                        Directory.CreateDirectory(directory);
                        written.Push((directory, true));
                    }
                }

                total += WriteFile(path, written, stream => Copy(package.Entries[file.Path], file, stream, total, maxUnpackedBytes));
            }

            // The manifest last: a directory holding manifest.json is complete.
            if (package.SignatureBytes is { } signature)
            {
                WriteFile(Path.Combine(target, EdgePackageFormat.SignatureEntry), written, stream => Write(stream, signature));
            }

            WriteFile(Path.Combine(target, EdgePackageFormat.ManifestEntry), written, stream => Write(stream, package.ManifestBytes));
            return new VerifiedPackage(package.Manifest, package.KeyId, total);
        }
        catch
        {
            while (written.TryPop(out var item))
            {
                try
                {
                    if (item.IsDirectory)
                    {
                        Directory.Delete(item.Path, recursive: false);
                    }
                    else
                    {
                        File.Delete(item.Path);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Best effort: the original failure is what the caller needs to see.
                }
            }

            throw;
        }
    }

    /// <summary>
    /// Reads a package's manifest and signature without checking either (for display): null manifest when
    /// <c>manifest.json</c> is not valid JSON.
    /// </summary>
    /// <exception cref="PackageRejectedException">Not a readable zip, or no manifest, or an unsafe structure.</exception>
    public static PackageContents ReadUnverified(string packagePath)
    {
        using var archive = OpenArchive(packagePath, out var stream);
        using (stream)
        {
            var entries = PackageEntries.Check(archive);
            var manifestBytes = ReadManifestBytes(entries, long.MaxValue);
            var signature = entries.TryGetValue(EdgePackageFormat.SignatureEntry, out var sigEntry)
                ? TryParseSignature(ReadSmall(sigEntry, MaxSignatureBytes, PackageRejection.BadSignature))
                : null;
            return new PackageContents(manifestBytes, TryParseManifest(manifestBytes), signature, [.. entries.Keys.Order(StringComparer.Ordinal)]);
        }
    }

    private static Opened Open(string packagePath, PackageTrust trust, long maxUnpackedBytes)
    {
        var archive = OpenArchive(packagePath, out var stream);
        try
        {
            var entries = PackageEntries.Check(archive);
            var manifestBytes = ReadManifestBytes(entries, maxUnpackedBytes);
            byte[]? signatureBytes = null;
            string? keyId = null;
            if (entries.TryGetValue(EdgePackageFormat.SignatureEntry, out var signatureEntry))
            {
                signatureBytes = ReadSmall(signatureEntry, MaxSignatureBytes, PackageRejection.BadSignature);
                keyId = CheckSignature(manifestBytes, signatureBytes, trust);
            }
            else if (!trust.AllowUnsigned)
            {
                throw new PackageRejectedException(PackageRejection.Unsigned, "the package is not signed (it has no manifest.sig) and unsigned packages are not allowed");
            }

            // Parsed only once the signature vouches for it (or unsigned packages are allowed).
            var manifest = TryParseManifest(manifestBytes, out var error)
                ?? throw new PackageRejectedException(PackageRejection.InvalidManifest, $"manifest.json is not valid: {error}");
            if (ManifestRules.Check(manifest) is { } problem)
            {
                throw new PackageRejectedException(problem.Rejection, problem.Problem);
            }

            var listed = new HashSet<string>(manifest.Files!.Select(f => f.Path), StringComparer.Ordinal);
            foreach (var name in entries.Keys)
            {
                if (name is not (EdgePackageFormat.ManifestEntry or EdgePackageFormat.SignatureEntry) && !listed.Contains(name))
                {
                    throw new PackageRejectedException(PackageRejection.UnlistedEntry, $"entry '{PackagePath.Printable(name)}' is not listed in manifest.json");
                }
            }

            foreach (var file in manifest.Files!)
            {
                if (!entries.ContainsKey(file.Path))
                {
                    throw new PackageRejectedException(PackageRejection.MissingFile, $"file '{PackagePath.Printable(file.Path)}' is listed in manifest.json but not in the package");
                }
            }

            var metadata = manifestBytes.LongLength + (signatureBytes?.LongLength ?? 0);
            var declared = manifest.Files!.Aggregate(metadata, (sum, file) => sum > long.MaxValue - file.Size ? long.MaxValue : sum + file.Size);
            if (declared > maxUnpackedBytes)
            {
                throw new PackageRejectedException(PackageRejection.TooLarge, $"the package unpacks to {declared} bytes, more than the limit of {maxUnpackedBytes}");
            }

            return new Opened(stream, archive, entries, manifestBytes, signatureBytes, manifest, keyId, metadata);
        }
        catch
        {
            archive.Dispose();
            stream.Dispose();
            throw;
        }
    }

    private static ZipArchive OpenArchive(string packagePath, out FileStream stream)
    {
        ArgumentException.ThrowIfNullOrEmpty(packagePath);
        try
        {
            stream = new FileStream(packagePath, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PackageRejectedException(PackageRejection.Unreadable, $"cannot read the package: {ex.Message}", ex);
        }

        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            stream.Dispose();
            throw new PackageRejectedException(PackageRejection.Unreadable, $"not a readable zip archive: {ex.Message}", ex);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static byte[] ReadManifestBytes(Dictionary<string, ZipArchiveEntry> entries, long maxUnpackedBytes)
    {
        if (!entries.TryGetValue(EdgePackageFormat.ManifestEntry, out var entry))
        {
            throw new PackageRejectedException(PackageRejection.MissingManifest, $"the package has no {EdgePackageFormat.ManifestEntry}");
        }

        var limit = (int)Math.Min(MaxManifestBytes, maxUnpackedBytes);
        return ReadSmall(entry, limit, limit < MaxManifestBytes ? PackageRejection.TooLarge : PackageRejection.InvalidManifest);
    }

    /// <summary>An entry's bytes, refused with <paramref name="overLimit"/> as soon as more than <paramref name="limit"/> come out.</summary>
    private static byte[] ReadSmall(ZipArchiveEntry entry, int limit, PackageRejection overLimit)
    {
        using var content = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var source = OpenEntry(entry);
            int read;
            while ((read = ReadEntry(source, buffer, entry.FullName)) > 0)
            {
                if (content.Length + read > limit)
                {
                    throw new PackageRejectedException(overLimit, $"entry '{entry.FullName}' is larger than {limit} bytes");
                }

                content.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return content.ToArray();
    }

    /// <summary>The signing key's id, once the signature over <paramref name="manifest"/> verifies against a trusted key.</summary>
    private static string CheckSignature(byte[] manifest, byte[] signatureBytes, PackageTrust trust)
    {
        var signature = TryParseSignature(signatureBytes)
            ?? throw new PackageRejectedException(PackageRejection.BadSignature, "manifest.sig is not a signature (expected JSON with algorithm, key_id and signature)");
        if (signature.Algorithm != EdgePackageFormat.Algorithm)
        {
            throw new PackageRejectedException(PackageRejection.BadSignature, $"manifest.sig uses algorithm '{signature.Algorithm}'; only {EdgePackageFormat.Algorithm} is accepted");
        }

        using var key = trust.CreateVerifier(signature.KeyId)
            ?? throw new PackageRejectedException(
                PackageRejection.UnknownKey,
                trust.KeyIds.Count == 0
                    ? $"the package is signed by key {PackagePath.Printable(signature.KeyId)}, but no signing keys are trusted"
                    : $"the package is signed by key {PackagePath.Printable(signature.KeyId)}, which is not trusted (trusted: {string.Join(", ", trust.KeyIds)})");
        var bytes = new byte[(signature.Signature.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(signature.Signature, bytes, out var length))
        {
            throw new PackageRejectedException(PackageRejection.BadSignature, "manifest.sig: the signature is not valid base64");
        }

        if (!key.VerifyData(manifest, bytes.AsSpan(0, length), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            throw new PackageRejectedException(PackageRejection.BadSignature, $"the signature by key {signature.KeyId} does not match manifest.json (the manifest was changed after signing)");
        }

        return signature.KeyId;
    }

    private static PackageSignature? TryParseSignature(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, ContractsJsonContext.Default.PackageSignature) is { Algorithm: not null, KeyId.Length: > 0, Signature: not null } signature
                ? signature
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static ModelManifest? TryParseManifest(byte[] bytes) => TryParseManifest(bytes, out _);

    private static ModelManifest? TryParseManifest(byte[] bytes, out string? error)
    {
        error = null;
        try
        {
            var manifest = JsonSerializer.Deserialize(bytes, ContractsJsonContext.Default.ModelManifest);
            error = manifest is null ? "it is null" : null;
            return manifest;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>
    /// Decompresses <paramref name="entry"/> into <paramref name="destination"/> through SHA-256, stopping as soon as it
    /// gives more than the manifest's size or the running total passes the limit; returns the bytes it gave.
    /// </summary>
    private static long Copy(ZipArchiveEntry entry, ManifestFile file, Stream destination, long unpackedSoFar, long maxUnpackedBytes)
    {
        var path = PackagePath.Printable(file.Path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long size = 0;
        try
        {
            using var source = OpenEntry(entry);
            int read;
            while ((read = ReadEntry(source, buffer, file.Path)) > 0)
            {
                size += read;
                if (size > file.Size)
                {
                    throw new PackageRejectedException(PackageRejection.SizeMismatch, $"file '{path}' is larger than the {file.Size} bytes manifest.json lists");
                }

                if (unpackedSoFar + size > maxUnpackedBytes)
                {
                    throw new PackageRejectedException(PackageRejection.TooLarge, $"the package unpacks to more than the limit of {maxUnpackedBytes} bytes");
                }

                hash.AppendData(buffer, 0, read);
                destination.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (size != file.Size)
        {
            throw new PackageRejectedException(PackageRejection.SizeMismatch, $"file '{path}' has {size} bytes but manifest.json lists {file.Size}");
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new PackageRejectedException(PackageRejection.HashMismatch, $"file '{path}' does not match its SHA-256 in manifest.json (it was changed after the manifest was made)");
        }

        return size;
    }

    private static Stream OpenEntry(ZipArchiveEntry entry)
    {
        try
        {
            return entry.Open();
        }
        catch (InvalidDataException ex)
        {
            throw new PackageRejectedException(PackageRejection.Unreadable, $"entry '{PackagePath.Printable(entry.FullName)}' cannot be read: {ex.Message}", ex);
        }
    }

    private static int ReadEntry(Stream source, byte[] buffer, string name)
    {
        try
        {
            return source.Read(buffer, 0, buffer.Length);
        }
        catch (InvalidDataException ex)
        {
            throw new PackageRejectedException(PackageRejection.Unreadable, $"entry '{PackagePath.Printable(name)}' is corrupt: {ex.Message}", ex);
        }
    }

    private static long WriteFile(string path, Stack<(string, bool)> written, Func<FileStream, long> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize);
        written.Push((path, false));
        var bytes = write(stream);
        stream.Flush(flushToDisk: true);
        return bytes;
    }

    private static long Write(Stream stream, byte[] bytes)
    {
        stream.Write(bytes);
        return bytes.LongLength;
    }

    /// <summary>An open package whose structure, signature and file list passed; the files are not read yet.</summary>
    private sealed class Opened(
        FileStream stream,
        ZipArchive archive,
        Dictionary<string, ZipArchiveEntry> entries,
        byte[] manifestBytes,
        byte[]? signatureBytes,
        ModelManifest manifest,
        string? keyId,
        long metadataBytes) : IDisposable
    {
        public Dictionary<string, ZipArchiveEntry> Entries => entries;

        public byte[] ManifestBytes => manifestBytes;

        public byte[]? SignatureBytes => signatureBytes;

        public ModelManifest Manifest => manifest;

        public string? KeyId => keyId;

        /// <summary>The manifest's and signature's bytes, which count towards the unpacked size.</summary>
        public long MetadataBytes => metadataBytes;

        public void Dispose()
        {
            archive.Dispose();
            stream.Dispose();
        }
    }
}
