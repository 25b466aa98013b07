using System.Security.Cryptography;
using System.Text;
using EdgeRuntime.Contracts.Packages;
using Entry = EdgeRuntime.Device.Tests.Deployment.Packages.TestPackages.Entry;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary>
/// <see cref="EdgePackageReader"/> on packages the writer made and on zips crafted to be malicious: every refusal has its
/// own <see cref="PackageRejection"/> and a message naming what is wrong, and a refused extraction leaves nothing behind.
/// </summary>
public sealed class EdgePackageReaderTests
{
    private static readonly byte[] Model = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7))];
    private static readonly byte[] Config = Encoding.UTF8.GetBytes("""{"max_batch_size": 8}""");

    private TestPackages _packages = null!;
    private ECDsa _key = null!;
    private PackageTrust _trust = null!;

    [SetUp]
    public void SetUp()
    {
        _packages = new TestPackages();
        _key = PackageKeys.Generate();
        _trust = PackageTrust.FromPublicKeys([_key]);
    }

    [TearDown]
    public void TearDown()
    {
        _key.Dispose();
        _packages.Dispose();
    }

    private static (string, byte[])[] Files => [("model.onnx", Model), ("weights/extra.bin", Config)];

    private static PackageTrust Unsigned => PackageTrust.FromPublicKeys([], allowUnsigned: true);

    [Test]
    public void VerifyAndExtract_SignedPackage_UnpacksFilesAndManifestAndReportsKey()
    {
        var path = _packages.Write("ok.edgepkg", _key, Files);
        var target = _packages.PathOf("out");

        var verified = EdgePackageReader.Verify(path, _trust);
        var extracted = EdgePackageReader.VerifyAndExtract(path, _trust, target);

        var contents = EdgePackageReader.ReadUnverified(path);
        Assert.Multiple(() =>
        {
            Assert.That(verified.KeyId, Is.EqualTo(PackageKeys.KeyId(_key)));
            Assert.That(verified.Manifest.Files!.Select(f => (f.Path, f.Size)), Is.EqualTo(new[] { ("model.onnx", 5000L), ("weights/extra.bin", (long)Config.Length) }));
            Assert.That(extracted, Is.EqualTo(verified).Using<VerifiedPackage>((a, b) => a.KeyId == b.KeyId && a.UnpackedBytes == b.UnpackedBytes));
            Assert.That(File.ReadAllBytes(Path.Combine(target, "model.onnx")), Is.EqualTo(Model));
            Assert.That(File.ReadAllBytes(Path.Combine(target, "weights", "extra.bin")), Is.EqualTo(Config));
            Assert.That(File.ReadAllBytes(Path.Combine(target, "manifest.json")), Is.EqualTo(contents.ManifestBytes));
            Assert.That(File.Exists(Path.Combine(target, "manifest.sig")), Is.True);
            Assert.That(extracted.UnpackedBytes, Is.EqualTo(Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)));
        });
    }

    [Test]
    public void Verify_Unsigned_RefusedUnlessTrustAllowsUnsigned()
    {
        var path = _packages.Write("unsigned.edgepkg", null, Files);

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));
        var accepted = EdgePackageReader.Verify(path, PackageTrust.FromPublicKeys([_key], allowUnsigned: true));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.Unsigned));
        Assert.That(refused.Message, Does.Contain("not signed"));
        Assert.That(accepted.KeyId, Is.Null);
    }

    [Test]
    public void Verify_SignedByAnotherKey_RefusedAsUnknownKeyEvenWhenUnsignedIsAllowed()
    {
        using var other = PackageKeys.Generate();
        var path = _packages.Write("other.edgepkg", other, Files);

        var refused = Refused(() => EdgePackageReader.Verify(path, PackageTrust.FromPublicKeys([_key], allowUnsigned: true)));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.UnknownKey));
        Assert.That(refused.Message, Does.Contain(PackageKeys.KeyId(other)).And.Contain("not trusted").And.Contain(PackageKeys.KeyId(_key)));
    }

    [Test]
    public void Verify_ManifestChangedAfterSigning_RefusedAsBadSignature()
    {
        var manifest = TestPackages.Manifest(Files);
        var signature = TestPackages.Signature(manifest, _key);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(manifest).Replace("\"version\":\"1\"", "\"version\":\"2\"", StringComparison.Ordinal));
        Assert.That(tampered, Is.Not.EqualTo(manifest));
        var path = _packages.Craft("tampered.edgepkg", [new Entry("manifest.json", tampered), new Entry("manifest.sig", signature), .. Files.Select(f => new Entry(f.Item1, f.Item2))]);

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.BadSignature));
        Assert.That(refused.Message, Does.Contain("does not match manifest.json"));
    }

    [Test]
    public void Verify_FileChangedAfterSigning_RefusedAsHashMismatchNamingTheFile()
    {
        var changed = (byte[])Model.Clone();
        changed[4000] ^= 1;
        var manifest = TestPackages.Manifest(Files);
        var path = _packages.Craft(
            "changed.edgepkg",
            new Entry("manifest.json", manifest),
            new Entry("manifest.sig", TestPackages.Signature(manifest, _key)),
            new Entry("model.onnx", changed),
            new Entry("weights/extra.bin", Config));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.HashMismatch));
        Assert.That(refused.Message, Does.Contain("file 'model.onnx' does not match its SHA-256"));
    }

    [Test]
    public void Verify_FileOfOtherSize_RefusedAsSizeMismatch()
    {
        var manifest = TestPackages.Manifest(Files);
        var path = _packages.Craft(
            "shorter.edgepkg",
            new Entry("manifest.json", manifest),
            new Entry("model.onnx", Model[..4999]),
            new Entry("weights/extra.bin", Config));

        var refused = Refused(() => EdgePackageReader.Verify(path, Unsigned));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.SizeMismatch));
        Assert.That(refused.Message, Does.Contain("file 'model.onnx' has 4999 bytes but manifest.json lists 5000"));
    }

    [TestCase("../../etc/passwd", "escapes the package (path traversal)")]
    [TestCase("models/../../x", "escapes the package (path traversal)")]
    [TestCase("/etc/passwd", "is an absolute path")]
    [TestCase("C:\\Windows\\x.dll", "is an absolute path")]
    [TestCase("C:x", "is an absolute path")]
    [TestCase("\\\\server\\share\\x", "is an absolute path")]
    [TestCase("weights\\x.bin", "contains a backslash")]
    [TestCase("weights//x.bin", "has an empty path segment")]
    [TestCase("./model.onnx", "has a '.' segment")]
    [TestCase("model.onnx\0.txt", "contains a control character")]
    [TestCase("model.onnx:stream", "contains ':'")]
    [TestCase("model.onnx.", "which Windows cannot keep as a file name")]
    [TestCase("weights/CON.bin", "which Windows cannot keep as a file name")]
    public void Verify_UnsafeEntryName_RefusedAsUnsafePath(string name, string reason)
    {
        var path = _packages.CraftPackage("unsafe.edgepkg", _key, Files, new Entry(name, [1, 2, 3]));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.UnsafePath));
        Assert.That(refused.Message, Does.Contain(reason));
        if (name == "../../etc/passwd")
        {
            Assert.That(refused.Message, Is.EqualTo("entry '../../etc/passwd' escapes the package (path traversal)"));
        }
    }

    [Test]
    public void VerifyAndExtract_ZipSlipEntry_WritesNothingAnywhere()
    {
        var target = _packages.PathOf(Path.Combine("deep", "out"));
        var escaped = _packages.PathOf("escaped.txt");
        var path = _packages.CraftPackage("slip.edgepkg", _key, Files, new Entry("../../escaped.txt", [1]));

        var refused = Refused(() => EdgePackageReader.VerifyAndExtract(path, _trust, target));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.UnsafePath));
        Assert.That(File.Exists(escaped), Is.False);
        Assert.That(Directory.Exists(target), Is.False);
    }

    [Test]
    public void Verify_ManifestListingAnUnsafePath_RefusedAsUnsafePath()
    {
        var manifest = TestPackages.Manifest("m", "1", [new("../outside.bin", 3, new string('0', 64))]);
        var path = _packages.Craft("manifest-slip.edgepkg", new Entry("manifest.json", manifest), new Entry("manifest.sig", TestPackages.Signature(manifest, _key)));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.UnsafePath));
        Assert.That(refused.Message, Is.EqualTo("manifest file '../outside.bin' escapes the package (path traversal)"));
    }

    [Test]
    public void Verify_SymlinkEntry_RefusedAsLink()
    {
        // Unix mode 0120777 in the high 16 bits, as zip tools store a symbolic link; its content is the link target.
        var path = _packages.CraftPackage("link.edgepkg", _key, Files, new Entry("passwd", Encoding.UTF8.GetBytes("/etc/passwd"), unchecked((int)(0xA1FFu << 16))));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.Link));
        Assert.That(refused.Message, Is.EqualTo("entry 'passwd' is a symbolic link; packages hold regular files only"));
    }

    [TestCase("weights/", 0x41ED, "directory")]
    [TestCase("fifo", 0x11A4, "FIFO")]
    [TestCase("device", 0x21A4, "character device")]
    public void Verify_NonRegularEntry_Refused(string name, int mode, string kind)
    {
        var path = _packages.CraftPackage("special.edgepkg", _key, Files, new Entry(name, [], mode << 16));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.NonRegularEntry));
        Assert.That(refused.Message, Does.Contain($"is a {kind}"));
    }

    [TestCase("model.onnx", "appears twice")]
    [TestCase("Model.onnx", "differ only in case")]
    [TestCase("model.onnx/x", "needs 'model.onnx' to be a directory")]
    public void Verify_CollidingEntries_RefusedAsDuplicateEntry(string second, string reason)
    {
        var path = _packages.CraftPackage("duplicate.edgepkg", _key, Files, new Entry(second, Model));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.DuplicateEntry));
        Assert.That(refused.Message, Does.Contain(reason));
    }

    [Test]
    public void Verify_EntryNotInManifest_RefusedAsUnlistedEntry()
    {
        var path = _packages.CraftPackage("unlisted.edgepkg", _key, Files, new Entry("payload.so", [0x7F, (byte)'E', (byte)'L', (byte)'F']));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.UnlistedEntry));
        Assert.That(refused.Message, Is.EqualTo("entry 'payload.so' is not listed in manifest.json"));
    }

    [Test]
    public void Verify_ListedFileAbsent_RefusedAsMissingFile()
    {
        var manifest = TestPackages.Manifest(Files);
        var path = _packages.Craft("missing.edgepkg", new Entry("manifest.json", manifest), new Entry("manifest.sig", TestPackages.Signature(manifest, _key)), new Entry("model.onnx", Model));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.MissingFile));
        Assert.That(refused.Message, Does.Contain("'weights/extra.bin' is listed in manifest.json but not in the package"));
    }

    [Test]
    public void Verify_NoManifest_RefusedAsMissingManifest()
    {
        var path = _packages.Craft("bare.edgepkg", new Entry("model.onnx", Model));

        Assert.That(Refused(() => EdgePackageReader.Verify(path, Unsigned)).Rejection, Is.EqualTo(PackageRejection.MissingManifest));
    }

    [TestCase("{not json", "not valid")]
    [TestCase("""{"version": "1", "files": []}""", "no name")]
    [TestCase("""{"name": "m", "files": []}""", "no version")]
    [TestCase("""{"name": "m", "version": "1"}""", "lists no files")]
    [TestCase("""{"name": "m", "version": "v1", "files": []}""", "not a positive integer")]
    [TestCase("""{"name": "../m", "version": "1", "files": []}""", "not a valid model name")]
    public void Verify_BadManifest_RefusedAsInvalidManifest(string manifest, string reason)
    {
        var bytes = Encoding.UTF8.GetBytes(manifest);
        var path = _packages.Craft("bad-manifest.edgepkg", new Entry("manifest.json", bytes), new Entry("manifest.sig", TestPackages.Signature(bytes, _key)));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.InvalidManifest));
        Assert.That(refused.Message, Does.Contain(reason));
    }

    [Test]
    public void Verify_NotAZipOrTruncated_RefusedAsUnreadable()
    {
        var text = _packages.PathOf("text.edgepkg");
        File.WriteAllText(text, "this is not a zip archive");
        var whole = File.ReadAllBytes(_packages.Write("whole.edgepkg", _key, Files));
        var truncated = _packages.PathOf("truncated.edgepkg");
        File.WriteAllBytes(truncated, whole[..(whole.Length / 2)]);

        Assert.That(Refused(() => EdgePackageReader.Verify(text, _trust)).Rejection, Is.EqualTo(PackageRejection.Unreadable));
        Assert.That(Refused(() => EdgePackageReader.Verify(truncated, _trust)).Rejection, Is.EqualTo(PackageRejection.Unreadable));
        Assert.That(Refused(() => EdgePackageReader.Verify(_packages.PathOf("absent.edgepkg"), _trust)).Rejection, Is.EqualTo(PackageRejection.Unreadable));
    }

    [Test]
    public void Verify_MoreThanTheLimit_RefusedAsTooLarge()
    {
        var path = _packages.Write("large.edgepkg", _key, Files);

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust, maxUnpackedBytes: 4000));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.TooLarge));
        Assert.That(refused.Message, Does.Contain("more than the limit of 4000"));
    }

    [Test]
    public void Verify_ZipBombUnderASmallDeclaredSize_StopsAtTheDeclaredSize()
    {
        // 64 MiB of zeros deflate to about 64 KiB; the manifest claims 10 bytes, so reading must stop right after them.
        var bomb = new byte[64 << 20];
        var manifest = TestPackages.Manifest("m", "1", [new("model.onnx", 10, Convert.ToHexStringLower(SHA256.HashData(bomb.AsSpan(0, 10))))]);
        var path = _packages.Craft("bomb.edgepkg", new Entry("manifest.json", manifest), new Entry("manifest.sig", TestPackages.Signature(manifest, _key)), new Entry("model.onnx", bomb));
        Assert.That(new FileInfo(path).Length, Is.LessThan(1 << 20));

        var refused = Refused(() => EdgePackageReader.Verify(path, _trust, maxUnpackedBytes: 1 << 20));

        Assert.That(refused.Rejection, Is.EqualTo(PackageRejection.SizeMismatch));
        Assert.That(refused.Message, Does.Contain("larger than the 10 bytes manifest.json lists"));
    }

    [Test]
    public void VerifyAndExtract_SecondFileTampered_DeletesWhatItWroteAndKeepsAnEmptyTarget()
    {
        var changed = (byte[])Config.Clone();
        changed[0] ^= 1;
        var manifest = TestPackages.Manifest(Files);
        var path = _packages.Craft(
            "late-failure.edgepkg",
            new Entry("manifest.json", manifest),
            new Entry("manifest.sig", TestPackages.Signature(manifest, _key)),
            new Entry("model.onnx", Model),
            new Entry("weights/extra.bin", changed));
        var created = _packages.PathOf("fresh");
        var existing = _packages.PathOf("existing");
        Directory.CreateDirectory(existing);

        Assert.That(Refused(() => EdgePackageReader.VerifyAndExtract(path, _trust, created)).Rejection, Is.EqualTo(PackageRejection.HashMismatch));
        Assert.That(Refused(() => EdgePackageReader.VerifyAndExtract(path, _trust, existing)).Rejection, Is.EqualTo(PackageRejection.HashMismatch));

        Assert.That(Directory.Exists(created), Is.False);
        Assert.That(Directory.EnumerateFileSystemEntries(existing), Is.Empty);
    }

    [Test]
    public void VerifyAndExtract_TargetNotEmpty_ThrowsIOExceptionAndLeavesItAlone()
    {
        var path = _packages.Write("ok.edgepkg", _key, Files);
        var target = _packages.PathOf("occupied");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "model.onnx"), "the running version");

        Assert.Throws<IOException>(() => EdgePackageReader.VerifyAndExtract(path, _trust, target));
        Assert.That(File.ReadAllText(Path.Combine(target, "model.onnx")), Is.EqualTo("the running version"));
    }

    private static PackageRejectedException Refused(TestDelegate action) => Assert.Throws<PackageRejectedException>(action)!;
}
