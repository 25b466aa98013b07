using System.Security.Cryptography;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Hub.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Signing;

/// <summary>
/// Turns an upload into the package the hub distributes, signed by the hub. A package (zip magic <c>PK\x03\x04</c>) is
/// verified first (structure, file hashes, and its signature against <see cref="SigningOptions.TrustedPublisherKeys"/>
/// when it has one or <see cref="SigningOptions.RequirePublisherSignature"/> is on), must name the model and version it
/// is uploaded as, and is re-signed with its manifest and files unchanged. Raw ONNX is wrapped with a minimal manifest.
/// </summary>
internal sealed class PackageSigner
{
    private static readonly byte[] ZipMagic = [(byte)'P', (byte)'K', 3, 4];

    private readonly HubSigningKey _key;
    private readonly TimeProvider _time;
    private readonly PackageTrust _publishers;
    private readonly long _maxUnpackedBytes;

    public PackageSigner(HubSigningKey key, IOptions<HubOptions> options, TimeProvider time)
    {
        _key = key;
        _time = time;
        var hub = options.Value;
        _maxUnpackedBytes = hub.Artifacts.MaxUnpackedBytes;
        _publishers = LoadPublishers(hub.Signing);
    }

    /// <summary>The publishers' keys and whether unsigned uploads pass, as the options say.</summary>
    /// <exception cref="CryptographicException">A key is not a P-256 key.</exception>
    /// <exception cref="IOException">A key file cannot be read.</exception>
    public static PackageTrust LoadPublishers(SigningOptions options)
    {
        var keys = new List<ECDsa>();
        try
        {
            foreach (var entry in options.TrustedPublisherKeys)
            {
                keys.Add(PackageKeys.Load(entry));
            }

            return PackageTrust.FromPublicKeys(keys, allowUnsigned: !options.RequirePublisherSignature);
        }
        finally
        {
            keys.ForEach(k => k.Dispose());
        }
    }

    /// <summary>
    /// Writes the hub-signed package for the upload at <paramref name="uploadPath"/> to <paramref name="outputPath"/>
    /// (flushed to disk) and says what the upload was, for the log.
    /// </summary>
    /// <exception cref="PackageRejectedException">The hub refuses the upload; the message says why.</exception>
    public string Sign(string uploadPath, string name, string version, string outputPath)
    {
        using var output = new FileStream(outputPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        string what;
        if (IsZip(uploadPath))
        {
            var verified = EdgePackageReader.Verify(uploadPath, _publishers, _maxUnpackedBytes);
            if (verified.Manifest.Name != name || verified.Manifest.Version != version)
            {
                throw new PackageRejectedException(
                    PackageRejection.InvalidManifest,
                    $"the package is model '{verified.Manifest.Name}' version {verified.Manifest.Version}, but it was uploaded as '{name}' version {version}");
            }

            using var input = File.OpenRead(uploadPath);
            _key.Resign(input, output);
            what = verified.KeyId is { } keyId ? $"package signed by publisher key {keyId}" : "unsigned package";
        }
        else
        {
            if (_publishers.AllowUnsigned is false)
            {
                throw new PackageRejectedException(
                    PackageRejection.Unsigned,
                    "raw model uploads are refused: Hub:Signing:RequirePublisherSignature asks for a package signed by a trusted publisher (edge-runtime package build --key)");
            }

            // Only what the hub knows: the model's inputs, outputs and smoke test need ONNX Runtime, which the hub does not load.
            var manifest = new ModelManifest { Name = name, Version = version, CreatedMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
            _key.Write(output, manifest, [new PackageFile("model.onnx", uploadPath)]);
            what = "raw ONNX, wrapped";
        }

        output.Flush(flushToDisk: true);
        return what;
    }

    private static bool IsZip(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual(ZipMagic);
    }
}
