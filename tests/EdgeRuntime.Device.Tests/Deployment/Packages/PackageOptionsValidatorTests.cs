using System.Security.Cryptography;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Device.Deployment.Packages;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary>Trusted keys that cannot be read or are not P-256 are refused at start, naming the key; good ones make the trust.</summary>
public sealed class PackageOptionsValidatorTests
{
    private TestPackages _files = null!;

    [SetUp]
    public void SetUp() => _files = new TestPackages();

    [TearDown]
    public void TearDown() => _files.Dispose();

    [Test]
    public void Validate_PemTextAndPemFile_SucceedAndBuildTheTrust()
    {
        using var first = PackageKeys.Generate();
        using var second = PackageKeys.Generate();
        var file = _files.PathOf("hub.pub.pem");
        File.WriteAllText(file, PackageKeys.ExportPublicPem(second));
        var options = new PackageOptions { TrustedKeys = [PackageKeys.ExportPublicPem(first), file] };

        var result = new PackageOptionsValidator().Validate(null, options);
        var provider = new PackageTrustProvider(Options.Create(options), NullLogger<PackageTrustProvider>.Instance);

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
        Assert.That(provider.Trust.KeyIds, Is.EquivalentTo(new[] { PackageKeys.KeyId(first), PackageKeys.KeyId(second) }));
        Assert.That(provider.Trust.AllowUnsigned, Is.False);
        Assert.That(provider.MaxUnpackedBytes, Is.EqualTo(2L << 30));
    }

    [Test]
    public void Validate_MissingFileOtherKeyAndNoLimit_FailNamingEachKey()
    {
        using var rsa = RSA.Create(2048);
        var missing = _files.PathOf("absent.pem");
        var options = new PackageOptions { TrustedKeys = [missing, rsa.ExportSubjectPublicKeyInfoPem(), " "], MaxUnpackedBytes = 0 };

        var result = new PackageOptionsValidator().Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain($"EdgeRuntime:Packages:TrustedKeys:0: {missing}: cannot read the key file"));
        Assert.That(result.FailureMessage, Does.Contain("EdgeRuntime:Packages:TrustedKeys:1: not an ECDSA P-256 key"));
        Assert.That(result.FailureMessage, Does.Contain("EdgeRuntime:Packages:TrustedKeys:2: is empty"));
        Assert.That(result.FailureMessage, Does.Contain("EdgeRuntime:Packages:MaxUnpackedBytes"));
    }
}
