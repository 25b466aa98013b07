using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace EdgeRuntime.Hub.Registry;

/// <summary>
/// Device passwords: 32 random bytes (base64url) handed out once; the hub keeps their SHA-256 for its own broker and
/// mosquitto's <c>$7$</c> hash (PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt, 64-byte key) for a mosquitto password file.
/// </summary>
internal static class DeviceCredentials
{
    /// <summary>mosquitto_passwd's default iteration count.</summary>
    public const int MosquittoIterations = 101;

    public static string NewPassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string Sha256Hex(string password) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    /// <summary>Constant-time check of <paramref name="password"/> against a stored <see cref="Sha256Hex"/>.</summary>
    public static bool Verify(string? password, string storedSha256Hex)
    {
        if (password is null || storedSha256Hex.Length != 64)
        {
            return false;
        }

        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        return CryptographicOperations.FixedTimeEquals(actual, Convert.FromHexString(storedSha256Hex));
    }

    /// <summary>The password as a mosquitto password-file hash: <c>$7$101$&lt;salt b64&gt;$&lt;key b64&gt;</c>.</summary>
    public static string MosquittoHash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(12);
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, MosquittoIterations, HashAlgorithmName.SHA512, 64);
        return $"$7${MosquittoIterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}";
    }
}
