using SQLite;

namespace EdgeRuntime.Hub.Storage;

/// <summary>A registered device: tags (comma-separated) and the hashes of its MQTT password.</summary>
internal sealed class DeviceRow
{
    [Column("id")]
    public string Id { get; set; } = "";

    [Column("tags")]
    public string Tags { get; set; } = "";

    [Column("created_ms")]
    public long CreatedMs { get; set; }

    /// <summary>SHA-256 (hex) of the password: the embedded broker's check; the password is 32 random bytes, so no stretching is needed.</summary>
    [Column("password_sha256")]
    public string PasswordSha256 { get; set; } = "";

    /// <summary>The same password in mosquitto's password-file format (<c>$7$</c>, PBKDF2-HMAC-SHA512).</summary>
    [Column("mosquitto_hash")]
    public string MosquittoHash { get; set; } = "";

    public IReadOnlyList<string> TagList => Tags.Length == 0 ? [] : Tags.Split(',');
}
