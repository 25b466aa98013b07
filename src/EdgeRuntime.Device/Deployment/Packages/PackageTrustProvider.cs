using System.Security.Cryptography;
using EdgeRuntime.Contracts.Packages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment.Packages;

/// <summary>
/// The device's <see cref="PackageTrust"/>, built once from <see cref="PackageOptions"/> (the keys are read when it is
/// first asked for; the options validator has checked them at start), with the unpacking limit beside it.
/// </summary>
public sealed partial class PackageTrustProvider
{
    private readonly Lazy<PackageTrust> _trust;

    public PackageTrustProvider(IOptions<PackageOptions> options, ILogger<PackageTrustProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        MaxUnpackedBytes = value.MaxUnpackedBytes;
        _trust = new Lazy<PackageTrust>(() =>
        {
            var trust = Build(value);
            LogTrust(logger, trust.KeyIds.Count, string.Join(", ", trust.KeyIds), trust.AllowUnsigned);
            return trust;
        });
    }

    /// <summary>The keys packages must be signed with, and whether unsigned ones pass.</summary>
    public PackageTrust Trust => _trust.Value;

    /// <summary>The most a package may unpack to (<see cref="PackageOptions.MaxUnpackedBytes"/>).</summary>
    public long MaxUnpackedBytes { get; }

    /// <summary>The trust <paramref name="options"/> describe.</summary>
    /// <exception cref="CryptographicException">A key is not a P-256 key.</exception>
    /// <exception cref="IOException">A key file cannot be read.</exception>
    public static PackageTrust Build(PackageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<ECDsa>();
        try
        {
            foreach (var entry in options.TrustedKeys)
            {
                keys.Add(PackageKeys.Load(entry));
            }

            return PackageTrust.FromPublicKeys(keys, options.AllowUnsigned);
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Information, Message = "Model packages: trusting {Count} signing key(s) [{KeyIds}]; unsigned packages allowed: {AllowUnsigned}")]
    private static partial void LogTrust(ILogger logger, int count, string keyIds, bool allowUnsigned);
}
