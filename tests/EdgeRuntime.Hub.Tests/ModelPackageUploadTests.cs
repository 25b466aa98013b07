using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Tests;

/// <summary>
/// The hub signs what it distributes: raw ONNX and publisher packages alike are stored as packages signed by the hub's
/// key, publisher signatures are checked against the configured keys, and bad packages are refused with the reason.
/// </summary>
[TestFixture]
public sealed class ModelPackageUploadTests
{
    private static readonly byte[] Model = [.. Enumerable.Range(0, 3000).Select(i => (byte)(i % 251))];

    private string _work = null!;

    [SetUp]
    public void SetUp() => _work = TestHub.NewDataDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_work, recursive: true);

    [Test]
    public async Task SigningKey_FirstStart_GeneratesOwnerOnlyKeyAndServesItsPublicHalf()
    {
        await using var hub = await TestHub.StartAsync();

        var response = await hub.GetAsync("/api/signing-key", FleetJsonContext.Default.SigningKeyResponse);

        using var fromFile = PackageKeys.ImportPem(await File.ReadAllTextAsync(Path.Combine(hub.DataDirectory, "signing-key.pub.pem")));
        using var fromApi = PackageKeys.ImportPem(response.PublicKeyPem);
        var keyFile = Path.Combine(hub.DataDirectory, "signing-key.pem");
        Assert.Multiple(() =>
        {
            Assert.That(response.KeyId, Is.EqualTo(PackageKeys.KeyId(fromApi)));
            Assert.That(PackageKeys.KeyId(fromFile), Is.EqualTo(response.KeyId));
            Assert.That(response.PublicKeyPem, Does.Not.Contain("PRIVATE"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(keyFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        });
    }

    [Test]
    public async Task SigningKey_Restart_KeepsTheSameKey()
    {
        string before;
        await using (var first = await TestHub.StartAsync(_work))
        {
            before = (await first.GetAsync("/api/signing-key", FleetJsonContext.Default.SigningKeyResponse)).KeyId;
            await first.StopKeepingDataAsync();
        }

        await using var second = await TestHub.StartAsync(_work);
        var after = (await second.GetAsync("/api/signing-key", FleetJsonContext.Default.SigningKeyResponse)).KeyId;

        Assert.That(after, Is.EqualTo(before));
    }

    [Test]
    public async Task Upload_RawOnnx_StoredAsAPackageThatVerifiesWithTheHubKey()
    {
        await using var hub = await TestHub.StartAsync();

        var version = await hub.UploadAsync("m", 3, Model);

        var verified = VerifyStored(hub, version);
        Assert.Multiple(() =>
        {
            Assert.That(version.Artifact.Format, Is.EqualTo(ArtifactFormats.EdgePackage));
            Assert.That((verified.Manifest.Name, verified.Manifest.Version), Is.EqualTo(("m", "3")));
            Assert.That(verified.Manifest.Files!.Single(), Is.EqualTo(new ManifestFile("model.onnx", Model.Length, Convert.ToHexStringLower(SHA256.HashData(Model)))));
            Assert.That(verified.Manifest.CreatedMs, Is.Not.Null);
        });
    }

    [Test]
    public async Task Upload_SameRawOnnxTwice_IsUnchangedNotAConflict()
    {
        await using var hub = await TestHub.StartAsync();

        var first = await PutAsync(hub, "m", 1, Model);
        var second = await PutAsync(hub, "m", 1, Model);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Body(second), Is.EqualTo(await Body(first)));
    }

    [Test]
    public async Task Upload_PublisherSignedPackageWhenRequired_AcceptedAndResignedByTheHub()
    {
        using var publisher = PackageKeys.Generate();
        var publisherPem = Path.Combine(_work, "publisher.pub.pem");
        await File.WriteAllTextAsync(publisherPem, PackageKeys.ExportPublicPem(publisher));
        await using var hub = await TestHub.StartAsync(null, "--Hub:Signing:RequirePublisherSignature", "true", "--Hub:Signing:TrustedPublisherKeys:0", publisherPem);
        var package = Package("m", "2", publisher);

        var version = await hub.UploadAsync("m", 2, package);
        var again = await PutAsync(hub, "m", 2, package);
        var raw = await PutAsync(hub, "m", 3, Model);

        var verified = VerifyStored(hub, version);
        var published = Manifest(package);
        var rawError = await Error(raw);
        Assert.Multiple(() =>
        {
            Assert.That(verified.Manifest.Files, Is.EqualTo(published.Files));
            Assert.That(verified.Manifest.Description, Is.EqualTo("from the publisher"));
            Assert.That(EdgePackageReader.ReadUnverified(Store(hub, version)).ManifestBytes, Is.EqualTo(ManifestBytes(package)), "the publisher's manifest bytes are kept");
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(raw.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(rawError, Does.Contain("RequirePublisherSignature"));
        });
    }

    [Test]
    public async Task Upload_UnsignedPackageWhenRequired_Returns400SayingSo()
    {
        using var publisher = PackageKeys.Generate();
        await using var hub = await TestHub.StartAsync(null, "--Hub:Signing:RequirePublisherSignature", "true", "--Hub:Signing:TrustedPublisherKeys:0", PackageKeys.ExportPublicPem(publisher));

        var response = await PutAsync(hub, "m", 1, Package("m", "1", null));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Error(response), Is.EqualTo("refused: the package is not signed (it has no manifest.sig) and unsigned packages are not allowed"));
    }

    [Test]
    public async Task Upload_UnsignedPackageByDefault_AcceptedAndSignedByTheHub()
    {
        await using var hub = await TestHub.StartAsync();

        var version = await hub.UploadAsync("m", 1, Package("m", "1", null));

        Assert.That(VerifyStored(hub, version).Manifest.Description, Is.EqualTo("from the publisher"));
    }

    [Test]
    public async Task Upload_TamperedOrUnknownKeyPackage_Returns400WithTheReason()
    {
        using var publisher = PackageKeys.Generate();
        using var stranger = PackageKeys.Generate();
        await using var hub = await TestHub.StartAsync(null, "--Hub:Signing:TrustedPublisherKeys:0", PackageKeys.ExportPublicPem(publisher));

        var tampered = await PutAsync(hub, "m", 1, Tamper(Package("m", "1", publisher)));
        var unknown = await PutAsync(hub, "m", 2, Package("m", "2", stranger));

        Assert.That(tampered.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Error(tampered), Does.Contain("file 'model.onnx' does not match its SHA-256"));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Error(unknown), Does.Contain($"signed by key {PackageKeys.KeyId(stranger)}, which is not trusted"));
        Assert.That(Directory.GetFiles(Path.Combine(hub.DataDirectory, "artifacts")), Is.Empty, "nothing refused is kept");
    }

    [Test]
    public async Task Upload_PackageOfAnotherModelOrVersion_Returns400()
    {
        await using var hub = await TestHub.StartAsync();

        var otherName = await PutAsync(hub, "m", 1, Package("other", "1", null));
        var otherVersion = await PutAsync(hub, "m", 1, Package("m", "7", null));

        Assert.That(otherName.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Error(otherName), Is.EqualTo("refused: the package is model 'other' version 1, but it was uploaded as 'm' version 1"));
        Assert.That(otherVersion.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Error(otherVersion), Does.Contain("version 7, but it was uploaded as 'm' version 1"));
    }

    [Test]
    public void Start_BadSigningConfiguration_FailsNamingTheKey()
    {
        var missingKey = Path.Combine(_work, "absent.pem");

        var badPublisher = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestHub.StartAsync(Path.Combine(_work, "a"), "--Hub:Signing:TrustedPublisherKeys:0", "not a key"));
        var requiredWithoutKeys = Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestHub.StartAsync(Path.Combine(_work, "b"), "--Hub:Signing:RequirePublisherSignature", "true"));
        var missingKeyFile = Assert.ThrowsAsync<InvalidOperationException>(() => TestHub.StartAsync(Path.Combine(_work, "c"), "--Hub:Signing:KeyFile", missingKey));

        Assert.That(badPublisher!.Message, Does.Contain("Hub:Signing:TrustedPublisherKeys:0"));
        Assert.That(requiredWithoutKeys!.Message, Does.Contain("TrustedPublisherKeys is empty"));
        Assert.That(missingKeyFile!.Message, Does.Contain($"Hub:Signing:KeyFile {missingKey} does not exist"));
        Assert.That(File.Exists(missingKey), Is.False, "a configured key is never generated");
    }

    [Test]
    public async Task Start_StoreFromBeforePackages_KeepsRawArtifactsAsOnnxAndTheirUploadsIdempotent()
    {
        // A hub.db as the hub wrote it before packages: no format or upload_sha256 columns, the artifact the upload itself.
        var id = Convert.ToHexStringLower(SHA256.HashData(Model));
        Directory.CreateDirectory(Path.Combine(_work, "artifacts"));
        await File.WriteAllBytesAsync(Path.Combine(_work, "artifacts", id), Model);
        using (var db = new SQLite.SQLiteConnection(Path.Combine(_work, "hub.db")))
        {
            db.Execute("CREATE TABLE artifacts(id TEXT PRIMARY KEY, size INTEGER NOT NULL, chunk_bytes INTEGER NOT NULL, chunk_index BLOB NOT NULL, created_ms INTEGER NOT NULL)");
            db.Execute("CREATE TABLE model_versions(name TEXT NOT NULL, version INTEGER NOT NULL, artifact_id TEXT NOT NULL, size INTEGER NOT NULL, created_ms INTEGER NOT NULL, retired INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(name, version))");
            db.Execute("INSERT INTO artifacts VALUES (?, ?, ?, ?, 1)", id, Model.Length, 1 << 20, SHA256.HashData(Model));
            db.Execute("INSERT INTO model_versions VALUES ('m', 1, ?, ?, 1, 0)", id, Model.Length);
        }

        await using var hub = await TestHub.StartAsync(_work);
        var listed = await hub.GetAsync("/api/models/m/versions", FleetJsonContext.Default.IReadOnlyListModelVersionResponse);
        var same = await PutAsync(hub, "m", 1, Model);
        var other = await PutAsync(hub, "m", 1, [1, 2, 3]);
        var next = await hub.UploadAsync("m", 2, Model);

        Assert.Multiple(() =>
        {
            Assert.That(listed.Single().Artifact, Is.EqualTo(new ArtifactDescriptor { Id = id, Sha256 = id, Size = Model.Length, Format = ArtifactFormats.Onnx }));
            Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(next.Artifact.Format, Is.EqualTo(ArtifactFormats.EdgePackage));
        });
    }

    private static async Task<HttpResponseMessage> PutAsync(TestHub hub, string name, int version, byte[] content)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await hub.Http.PutAsync($"/api/models/{name}/versions/{version}", body);
    }

    private static async Task<string> Body(HttpResponseMessage response) =>
        JsonSerializer.Serialize((await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.ModelVersionResponse))!.Artifact, FleetJsonContext.Default.Options);

    private static async Task<string> Error(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

    private static string Store(TestHub hub, ModelVersionResponse version) => Path.Combine(hub.DataDirectory, "artifacts", version.Artifact.Id);

    /// <summary>The stored artifact, verified against the key <c>GET /api/signing-key</c> names and nothing else.</summary>
    private static VerifiedPackage VerifyStored(TestHub hub, ModelVersionResponse version)
    {
        var pem = File.ReadAllText(Path.Combine(hub.DataDirectory, "signing-key.pub.pem"));
        var verified = EdgePackageReader.Verify(Store(hub, version), PackageTrust.FromPem([pem]));
        Assert.That(verified.KeyId, Is.Not.Null);
        return verified;
    }

    private byte[] Package(string name, string version, ECDsa? key)
    {
        var model = Path.Combine(_work, $"model-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(model, Model);
        using var output = new MemoryStream();
        EdgePackageWriter.Write(output, new ModelManifest { Name = name, Version = version, Description = "from the publisher" }, [new PackageFile("model.onnx", model)], key);
        return output.ToArray();
    }

    /// <summary>The package with one byte of model.onnx changed and everything else, signature included, as it was.</summary>
    private byte[] Tamper(byte[] package)
    {
        var path = Path.Combine(_work, $"tamper-{Guid.NewGuid():N}.edgepkg");
        File.WriteAllBytes(path, package);
        using (var archive = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = archive.GetEntry("model.onnx")!;
            byte[] bytes;
            using (var read = entry.Open())
            using (var copy = new MemoryStream())
            {
                read.CopyTo(copy);
                bytes = copy.ToArray();
            }

            bytes[100] ^= 0xFF;
            entry.Delete();
            using var write = archive.CreateEntry("model.onnx").Open();
            write.Write(bytes);
        }

        return File.ReadAllBytes(path);
    }

    private byte[] ManifestBytes(byte[] package)
    {
        var path = Path.Combine(_work, $"read-{Guid.NewGuid():N}.edgepkg");
        File.WriteAllBytes(path, package);
        return EdgePackageReader.ReadUnverified(path).ManifestBytes;
    }

    private ModelManifest Manifest(byte[] package) => JsonSerializer.Deserialize(Encoding.UTF8.GetString(ManifestBytes(package)), Contracts.ContractsJsonContext.Default.ModelManifest)!;
}
