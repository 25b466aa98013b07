using System.Security.Cryptography;
using EdgeRuntime.Contracts.Packages;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary><see cref="PackageKeys"/> and <see cref="PackageTrust"/>: PEM round trips, key ids, and clear refusals of other keys.</summary>
public sealed class PackageKeysTests
{
    [Test]
    public void ExportAndImport_PrivateAndPublicPem_GiveTheSameKeyId()
    {
        using var key = PackageKeys.Generate();

        using var fromPrivate = PackageKeys.ImportPem(PackageKeys.ExportPrivatePem(key));
        using var fromPublic = PackageKeys.ImportPem(PackageKeys.ExportPublicPem(key));

        var id = PackageKeys.KeyId(key);
        Assert.That(id, Does.Match("^[0-9a-f]{32}$"));
        Assert.That(PackageKeys.KeyId(fromPrivate), Is.EqualTo(id));
        Assert.That(PackageKeys.KeyId(fromPublic), Is.EqualTo(id));
        Assert.That(PackageKeys.ExportPrivatePem(key), Does.StartWith("-----BEGIN PRIVATE KEY-----"));
        Assert.That(PackageKeys.ExportPublicPem(key), Does.StartWith("-----BEGIN PUBLIC KEY-----"));
    }

    [Test]
    public void ImportPem_OtherKeysAndText_ThrowWithAReadableReason()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var fromRsa = Assert.Throws<CryptographicException>(() => PackageKeys.ImportPem(rsa.ExportSubjectPublicKeyInfoPem()));
        var fromP384 = Assert.Throws<CryptographicException>(() => PackageKeys.ImportPem(p384.ExportSubjectPublicKeyInfoPem()));
        var fromText = Assert.Throws<CryptographicException>(() => PackageKeys.ImportPem("hello"));
        var fromEncrypted = Assert.Throws<CryptographicException>(() => PackageKeys.ImportPem(p384.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1))));

        Assert.That(fromRsa!.Message, Does.Contain("not an ECDSA P-256 key"));
        Assert.That(fromP384!.Message, Does.Contain("not P-256"));
        Assert.That(fromText!.Message, Does.Contain("not a PEM key"));
        Assert.That(fromEncrypted!.Message, Does.Contain("encrypted"));
    }

    [Test]
    public void FromPem_OneBadKey_NamesItsPosition()
    {
        using var key = PackageKeys.Generate();

        var ex = Assert.Throws<CryptographicException>(() => PackageTrust.FromPem([PackageKeys.ExportPublicPem(key), "garbage"]));
        var trust = PackageTrust.FromPem([PackageKeys.ExportPrivatePem(key)]);

        Assert.That(ex!.Message, Does.StartWith("trusted key 2:"));
        Assert.That(trust.KeyIds, Is.EqualTo(new[] { PackageKeys.KeyId(key) }));
        Assert.That(trust.AllowUnsigned, Is.False);
    }
}
