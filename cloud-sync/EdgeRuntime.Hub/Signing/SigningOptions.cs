namespace EdgeRuntime.Hub.Signing;

/// <summary>
/// <c>Hub:Signing</c>: the key the hub signs every distributed package with, and which publishers' signatures it accepts
/// on uploaded packages.
/// </summary>
internal sealed class SigningOptions
{
    /// <summary>
    /// The hub's private key (PKCS#8 PEM, ECDSA P-256). Unset, it is <c>&lt;data&gt;/signing-key.pem</c>, generated (mode
    /// 0600) on first start; a configured file must exist.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>Publishers' public keys (PEM text or <c>.pem</c> paths): a signed upload must verify against one of them.</summary>
    public List<string> TrustedPublisherKeys { get; set; } = [];

    /// <summary>Refuse uploads that are not packages signed by a trusted publisher (raw ONNX included).</summary>
    public bool RequirePublisherSignature { get; set; }
}
