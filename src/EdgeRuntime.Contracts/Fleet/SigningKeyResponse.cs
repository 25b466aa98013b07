namespace EdgeRuntime.Contracts.Fleet;

/// <summary><c>GET /api/signing-key</c>: the key the hub signs every distributed package with; devices trust <see cref="PublicKeyPem"/>.</summary>
public sealed record SigningKeyResponse
{
    /// <summary>Lowercase hex of the first 16 bytes of the SHA-256 of the public key (SubjectPublicKeyInfo), as <c>manifest.sig</c> names it.</summary>
    public required string KeyId { get; init; }

    /// <summary>The public key, <c>-----BEGIN PUBLIC KEY-----</c> PEM.</summary>
    public required string PublicKeyPem { get; init; }
}
