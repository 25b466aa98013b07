using System.Security.Cryptography;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>ECDSA P-256 keys for signing packages: creation, PEM import and export, and the key id packages name them by.</summary>
public static class PackageKeys
{
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>A new P-256 key pair.</summary>
    public static ECDsa Generate() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>
    /// The key's id: lowercase hex of the first 16 bytes of the SHA-256 of its SubjectPublicKeyInfo (DER), 32 characters.
    /// The same for the private key and its public half.
    /// </summary>
    public static string KeyId(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return KeyIdOf(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>The public key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>, SubjectPublicKeyInfo).</summary>
    public static string ExportPublicPem(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportSubjectPublicKeyInfoPem() + "\n";
    }

    /// <summary>The private key as unencrypted PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>): keep the file owner-only.</summary>
    public static string ExportPrivatePem(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>
    /// Writes the private key as PKCS#8 PEM to a new file at <paramref name="path"/>, readable and writable by its owner
    /// only (mode 0600 on Unix, set as it is created, so it is never readable by others).
    /// </summary>
    /// <exception cref="IOException">The file exists already (a key is never overwritten) or cannot be created.</exception>
    public static void WritePrivatePem(ECDsa key, string path)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var file = new FileStream(path, options);
        file.Write(System.Text.Encoding.ASCII.GetBytes(ExportPrivatePem(key)));
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Reads a P-256 key from PEM text: a public key (<c>PUBLIC KEY</c>) or a private key (<c>PRIVATE KEY</c> or
    /// <c>EC PRIVATE KEY</c>).
    /// </summary>
    /// <exception cref="CryptographicException">The text holds no PEM key, an encrypted or malformed one, or a key that is not ECDSA P-256; the message says which.</exception>
    public static ECDsa ImportPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!pem.Contains("-----BEGIN ", StringComparison.Ordinal))
        {
            throw new CryptographicException("not a PEM key: expected a '-----BEGIN PUBLIC KEY-----' or '-----BEGIN PRIVATE KEY-----' block");
        }

        if (pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new CryptographicException("the private key is encrypted; package keys must be stored unencrypted (protect the file's permissions instead)");
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new CryptographicException($"not an ECDSA P-256 key in PEM form: {ex.Message}", ex);
        }

        if (!IsP256(key, out var curve))
        {
            key.Dispose();
            throw new CryptographicException($"the key is on curve {curve}, not P-256 (nistP256/prime256v1), which packages are signed with");
        }

        return key;
    }

    /// <summary>
    /// A key as configuration gives it: PEM text (anything holding <c>-----BEGIN</c>) or the path of a PEM file, relative
    /// paths against the working directory.
    /// </summary>
    /// <exception cref="CryptographicException">The text or file holds no P-256 key; the message names the file.</exception>
    /// <exception cref="IOException">The file cannot be read (missing, no permission); the message names it.</exception>
    public static ECDsa Load(string pemOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pemOrPath);
        if (pemOrPath.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return ImportPem(pemOrPath);
        }

        var path = Path.GetFullPath(pemOrPath.Trim());
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new IOException($"{path}: cannot read the key file: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"{path}: cannot read the key file: {ex.Message}", ex);
        }

        try
        {
            return ImportPem(text);
        }
        catch (CryptographicException ex)
        {
            throw new CryptographicException($"{path}: {ex.Message}", ex);
        }
    }

    internal static string KeyIdOf(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo)[..16]);

    /// <summary>Whether <paramref name="key"/> is on P-256; <paramref name="curve"/> names the curve it is on.</summary>
    internal static bool IsP256(ECDsa key, out string curve)
    {
        ECParameters parameters;
        try
        {
            parameters = key.ExportParameters(includePrivateParameters: false);
        }
        catch (CryptographicException ex)
        {
            curve = $"unknown ({ex.Message})";
            return false;
        }

        var oid = parameters.Curve.Oid;
        curve = oid?.FriendlyName ?? oid?.Value ?? "explicit";
        return parameters.Curve.IsNamed && (oid?.Value == P256Oid || oid?.FriendlyName is "nistP256" or "ECDSA_P256" or "prime256v1" or "secp256r1");
    }
}
