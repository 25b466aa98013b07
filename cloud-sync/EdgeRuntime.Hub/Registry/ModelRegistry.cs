using System.Globalization;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Signing;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Registry;

/// <summary>
/// Model versions: upload (stored as a hub-signed package, content addressed, idempotent), list, retire.
/// </summary>
/// <remarks>
/// Whether a repeated upload is "the same" is decided by the SHA-256 of the uploaded bytes, kept with the version, not by
/// the stored artifact: the hub signs every package it stores and ECDSA signatures are randomised, so the same upload
/// never gives the same package bytes twice. The artifact id stays the package's own SHA-256, which devices check.
/// </remarks>
internal sealed partial class ModelRegistry(HubStore store, ArtifactStore artifacts, PackageSigner signer, TimeProvider time, ILogger<ModelRegistry> logger)
{
    /// <summary>A model name as Triton names them: 1–128 of letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, not only dots.</summary>
    public static bool IsValidName(string? name) => EdgePackageFormat.IsValidModelName(name);

    /// <summary>A version is a positive integer without sign or leading zeros.</summary>
    public static bool TryParseVersion(string? text, out long version)
    {
        version = 0;
        return EdgePackageFormat.IsValidVersion(text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    /// <summary>
    /// Registers version <paramref name="version"/> of <paramref name="name"/> from <paramref name="content"/>: a package
    /// (verified, re-signed by the hub) or raw ONNX (wrapped into a hub-signed package).
    /// </summary>
    public async Task<ModelUploadResult> UploadAsync(string name, long version, Stream content, CancellationToken cancellationToken = default)
    {
        using var upload = await artifacts.ReceiveAsync(content, cancellationToken);
        if (upload is null)
        {
            return new ModelUploadResult(ModelUploadOutcome.TooLarge);
        }

        if (store.GetModelVersion(name, version) is { } existing)
        {
            return Repeated(existing, upload.Sha256);
        }

        var versionText = version.ToString(CultureInfo.InvariantCulture);
        var package = artifacts.NewTemporaryPath();
        try
        {
            string what;
            try
            {
                what = await Task.Run(() => signer.Sign(upload.Path, name, versionText, package), cancellationToken);
            }
            catch (PackageRejectedException ex)
            {
                LogRefused(logger, name, versionText, ex.Message);
                return new ModelUploadResult(ModelUploadOutcome.Rejected, Reason: ex.Message);
            }

            var artifact = await artifacts.AddAsync(package, ArtifactFormats.EdgePackage, cancellationToken);
            var row = new ModelVersionRow
            {
                Name = name,
                Version = version,
                ArtifactId = artifact.Id,
                Size = artifact.Size,
                CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                UploadSha256 = upload.Sha256,
            };
            if (!store.TryAddModelVersion(row))
            {
                // Another upload of this version won the race; its package is the one that counts.
                return Repeated(store.GetModelVersion(name, version)!, upload.Sha256);
            }

            LogStored(logger, name, versionText, what, upload.Size, artifact.Id);
            return new ModelUploadResult(ModelUploadOutcome.Created, row, artifact);
        }
        finally
        {
            File.Delete(package);
        }
    }

    /// <summary>The answer to an upload of a version that exists: unchanged when it is the same bytes, else a conflict.</summary>
    private ModelUploadResult Repeated(ModelVersionRow existing, string uploadSha256)
    {
        // Versions stored before packages kept the upload itself, so their artifact id is the upload's hash.
        var same = (existing.UploadSha256 ?? existing.ArtifactId) == uploadSha256;
        return new ModelUploadResult(same ? ModelUploadOutcome.Unchanged : ModelUploadOutcome.Conflict, existing, store.GetArtifact(existing.ArtifactId));
    }

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Refused the upload of model {Name} version {Version}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string name, string version, string reason);

    [LoggerMessage(EventId = 703, Level = LogLevel.Information, Message = "Registered model {Name} version {Version} from a {Bytes}-byte upload ({What}) as hub-signed package {ArtifactId}")]
    private static partial void LogStored(ILogger logger, string name, string version, string what, long bytes, string artifactId);
}
