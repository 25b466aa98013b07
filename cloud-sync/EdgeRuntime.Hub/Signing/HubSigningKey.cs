using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Hub.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Signing;

/// <summary>
/// The hub's package signing key (<see cref="SigningOptions.KeyFile"/>), loaded or, at the default path, generated once;
/// its public half is kept in <c>&lt;data&gt;/signing-key.pub.pem</c> for devices to trust. Each signing gets a key object
/// of its own, so concurrent uploads neither share one nor wait for each other.
/// </summary>
internal sealed partial class HubSigningKey : IDisposable
{
    public const string DefaultKeyFile = "signing-key.pem";
    public const string PublicKeyFile = "signing-key.pub.pem";

    private readonly byte[] _privateKey;

    public HubSigningKey(IOptions<HubOptions> options, ILogger<HubSigningKey> logger)
    {
        var hub = options.Value;
        var configured = hub.Signing.KeyFile;
        KeyPath = Path.GetFullPath(configured ?? Path.Combine(hub.DataPath, DefaultKeyFile));
        if (!File.Exists(KeyPath))
        {
            // A configured key that is missing is a mistake to report, not to paper over: devices trust the old one.
            if (configured is not null)
            {
                throw new InvalidOperationException($"Hub:Signing:KeyFile {KeyPath} does not exist");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(KeyPath)!);
            using var generated = PackageKeys.Generate();
            PackageKeys.WritePrivatePem(generated, KeyPath);
            LogGenerated(logger, PackageKeys.KeyId(generated), KeyPath);
        }

        try
        {
            using var key = PackageKeys.Load(KeyPath);
            _privateKey = key.ExportPkcs8PrivateKey();
            KeyId = PackageKeys.KeyId(key);
            PublicKeyPem = PackageKeys.ExportPublicPem(key);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new InvalidOperationException($"Hub:Signing:KeyFile {KeyPath}: not a usable P-256 private key: {ex.Message}", ex);
        }

        PublicKeyPath = Path.Combine(hub.DataPath, PublicKeyFile);
        WritePublicKey(PublicKeyPath, PublicKeyPem);
        LogKey(logger, KeyId, KeyPath, PublicKeyPath);
    }

    public string KeyPath { get; }

    public string KeyId { get; }

    public string PublicKeyPem { get; }

    /// <summary>Where the public key is written for devices' <c>EdgeRuntime:Packages:TrustedKeys</c>.</summary>
    public string PublicKeyPath { get; }

    /// <summary>Copies the package in <paramref name="input"/> to <paramref name="output"/> signed by the hub (see <see cref="EdgePackageWriter.Resign"/>).</summary>
    public void Resign(Stream input, Stream output)
    {
        using var key = CreateSigner();
        EdgePackageWriter.Resign(input, output, key);
    }

    /// <summary>Writes a hub-signed package of <paramref name="files"/> (see <see cref="EdgePackageWriter.Write"/>).</summary>
    public ModelManifest Write(Stream output, ModelManifest manifest, IReadOnlyList<PackageFile> files)
    {
        using var key = CreateSigner();
        return EdgePackageWriter.Write(output, manifest, files, key);
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_privateKey);

    private ECDsa CreateSigner()
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(_privateKey, out _);
        return key;
    }

    private static void WritePublicKey(string path, string pem)
    {
        if (File.Exists(path) && File.ReadAllText(path) == pem)
        {
            return;
        }

        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, pem, Encoding.ASCII);
        File.Move(temporary, path, overwrite: true);
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Package signing key {KeyId} ({KeyPath}); devices trust it through EdgeRuntime:Packages:TrustedKeys = {PublicKeyPath}")]
    private static partial void LogKey(ILogger logger, string keyId, string keyPath, string publicKeyPath);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Generated a new package signing key {KeyId} at {KeyPath}: back it up, devices trust only packages it signs")]
    private static partial void LogGenerated(ILogger logger, string keyId, string keyPath);
}
