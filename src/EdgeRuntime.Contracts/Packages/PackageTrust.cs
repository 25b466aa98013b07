using System.Security.Cryptography;

namespace EdgeRuntime.Contracts.Packages;

/// <summary>
/// The public keys whose signatures a reader accepts, and whether it accepts unsigned packages at all. Holds only the
/// public halves (as bytes, so one trust serves concurrent verifications); the keys given are not kept.
/// </summary>
public sealed class PackageTrust
{
    private readonly Dictionary<string, byte[]> _keys;

    private PackageTrust(Dictionary<string, byte[]> keys, bool allowUnsigned)
    {
        _keys = keys;
        AllowUnsigned = allowUnsigned;
    }

    /// <summary>Accept unsigned packages (a signed package must still verify against a trusted key).</summary>
    public bool AllowUnsigned { get; }

    /// <summary>The ids of the trusted keys (see <see cref="PackageKeys.KeyId"/>).</summary>
    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    /// <summary>Trusts the public halves of <paramref name="keys"/> (private keys are fine; only their public half is kept).</summary>
    /// <exception cref="CryptographicException">A key is not ECDSA P-256.</exception>
    public static PackageTrust FromPublicKeys(IEnumerable<ECDsa> keys, bool allowUnsigned = false)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var trusted = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key);
            if (!PackageKeys.IsP256(key, out var curve))
            {
                throw new CryptographicException($"the key is on curve {curve}, not P-256, which packages are signed with");
            }

            var publicKey = key.ExportSubjectPublicKeyInfo();
            trusted[PackageKeys.KeyIdOf(publicKey)] = publicKey;
        }

        return new PackageTrust(trusted, allowUnsigned);
    }

    /// <summary>Trusts the keys in <paramref name="pems"/>, each the PEM text of a P-256 public (or private) key.</summary>
    /// <exception cref="CryptographicException">A text is not a P-256 key in PEM form; the message says which one (by position) and why.</exception>
    public static PackageTrust FromPem(IEnumerable<string> pems, bool allowUnsigned = false)
    {
        ArgumentNullException.ThrowIfNull(pems);
        var keys = new List<ECDsa>();
        try
        {
            var index = 0;
            foreach (var pem in pems)
            {
                index++;
                try
                {
                    keys.Add(PackageKeys.ImportPem(pem));
                }
                catch (CryptographicException ex)
                {
                    throw new CryptographicException($"trusted key {index}: {ex.Message}", ex);
                }
            }

            return FromPublicKeys(keys, allowUnsigned);
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>A fresh verifier for the key with <paramref name="keyId"/>, or null when it is not trusted. The caller disposes it.</summary>
    internal ECDsa? CreateVerifier(string keyId)
    {
        if (!_keys.TryGetValue(keyId, out var publicKey))
        {
            return null;
        }

        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(publicKey, out _);
        return key;
    }
}
