using System.Security.Cryptography;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary><see cref="EdgePackageWriter"/>: the manifest it fills in, reproducible zips, re-signing that keeps the signed bytes.</summary>
public sealed class EdgePackageWriterTests
{
    private static readonly (string, byte[])[] Files = [("model.onnx", [1, 2, 3, 4, 5]), ("vocab/words.txt", "a\nb\n"u8.ToArray())];

    private TestPackages _packages = null!;

    [SetUp]
    public void SetUp() => _packages = new TestPackages();

    [TearDown]
    public void TearDown() => _packages.Dispose();

    [Test]
    public void Write_Files_ListsEachWithSizeAndSha256AndKeepsTheOtherFields()
    {
        var (_, files) = _packages.SourceFiles(Files);
        using var output = new MemoryStream();
        var manifest = new ModelManifest { Name = "m", Version = "3", Description = "kept", Quantization = "int8", CreatedMs = 42 };

        var written = EdgePackageWriter.Write(output, manifest, files, signingKey: null);

        Assert.That(written.Files, Is.EqualTo(new[]
        {
            new ManifestFile("model.onnx", 5, Convert.ToHexStringLower(SHA256.HashData(Files[0].Item2))),
            new ManifestFile("vocab/words.txt", 4, Convert.ToHexStringLower(SHA256.HashData(Files[1].Item2))),
        }));
        Assert.That((written.Description, written.Quantization, written.CreatedMs), Is.EqualTo(("kept", "int8", 42L)));
    }

    [Test]
    public void Write_SameInputTwice_GivesIdenticalBytesWhenUnsigned()
    {
        var (_, files) = _packages.SourceFiles(Files);
        var manifest = new ModelManifest { Name = "m", Version = "1", CreatedMs = 1 };
        using var first = new MemoryStream();
        using var second = new MemoryStream();

        EdgePackageWriter.Write(first, manifest, files, null);
        EdgePackageWriter.Write(second, manifest, files, null);

        Assert.That(second.ToArray(), Is.EqualTo(first.ToArray()));
    }

    [TestCase("../x")]
    [TestCase("manifest.json")]
    [TestCase("MANIFEST.SIG")]
    public void Write_UnsafeOrReservedEntryPath_ThrowsArgumentException(string entryPath)
    {
        var (directory, _) = _packages.SourceFiles(Files);
        using var output = new MemoryStream();

        var ex = Assert.Throws<ArgumentException>(() => EdgePackageWriter.Write(
            output, new ModelManifest { Name = "m", Version = "1" }, [new PackageFile(entryPath, Path.Combine(directory, "model.onnx"))], null));

        Assert.That(ex!.Message, Does.Contain(entryPath));
    }

    [Test]
    public void Resign_SignedPackage_KeepsManifestBytesAndFilesAndChangesKeyId()
    {
        using var publisher = PackageKeys.Generate();
        using var hub = PackageKeys.Generate();
        var original = _packages.Write("publisher.edgepkg", publisher, Files);
        var resigned = _packages.PathOf("hub.edgepkg");
        using (var input = File.OpenRead(original))
        using (var output = File.Create(resigned))
        {
            EdgePackageWriter.Resign(input, output, hub);
        }

        var before = EdgePackageReader.ReadUnverified(original);
        var after = EdgePackageReader.ReadUnverified(resigned);
        var verified = EdgePackageReader.Verify(resigned, PackageTrust.FromPublicKeys([hub]));
        var oldKey = Assert.Throws<PackageRejectedException>(() => EdgePackageReader.Verify(resigned, PackageTrust.FromPublicKeys([publisher])));

        Assert.Multiple(() =>
        {
            Assert.That(after.ManifestBytes, Is.EqualTo(before.ManifestBytes));
            Assert.That(after.Entries, Is.EqualTo(before.Entries));
            Assert.That(before.Signature!.KeyId, Is.EqualTo(PackageKeys.KeyId(publisher)));
            Assert.That(after.Signature!.KeyId, Is.EqualTo(PackageKeys.KeyId(hub)));
            Assert.That(verified.KeyId, Is.EqualTo(PackageKeys.KeyId(hub)));
            Assert.That(oldKey!.Rejection, Is.EqualTo(PackageRejection.UnknownKey));
        });
    }

    [Test]
    public void Resign_UnsignedPackage_AddsSignature()
    {
        using var hub = PackageKeys.Generate();
        var original = _packages.Write("unsigned.edgepkg", null, Files);
        using var input = File.OpenRead(original);
        var resigned = _packages.PathOf("signed.edgepkg");
        using (var output = File.Create(resigned))
        {
            EdgePackageWriter.Resign(input, output, hub);
        }

        Assert.That(EdgePackageReader.Verify(resigned, PackageTrust.FromPublicKeys([hub])).KeyId, Is.EqualTo(PackageKeys.KeyId(hub)));
    }
}
