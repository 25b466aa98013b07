using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using EdgeRuntime.Contracts.Fleet;

namespace EdgeRuntime.Hub.Tests;

/// <summary>The fleet HTTP API through a real Kestrel listener.</summary>
[TestFixture]
public sealed class FleetApiTests
{
    [Test]
    public async Task Api_WithoutToken_Returns401ButHealthzIsOpen()
    {
        await using var hub = await TestHub.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = hub.BaseAddress };
        using var devices = await anonymous.GetAsync("/api/devices");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong-token-wrong-token");
        using var wrong = await anonymous.GetAsync("/api/devices");
        using var health = await anonymous.GetAsync("/healthz");
        Assert.Multiple(() =>
        {
            Assert.That(devices.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task RegisterDevice_NewDuplicateAndInvalid_Returns201Then409And400()
    {
        await using var hub = await TestHub.StartAsync();
        var created = await hub.RegisterAsync("dev-1", "line-a");
        using var duplicate = await hub.Http.PostAsJsonAsync("/api/devices", new RegisterDeviceRequest { Id = "dev-1" }, FleetJsonContext.Default.RegisterDeviceRequest);
        using var invalid = await hub.Http.PostAsJsonAsync("/api/devices", new RegisterDeviceRequest { Id = "a/b" }, FleetJsonContext.Default.RegisterDeviceRequest);
        var listed = await hub.GetAsync("/api/devices?tag=line-a", FleetJsonContext.Default.IReadOnlyListDeviceSummary);
        var untagged = await hub.GetAsync("/api/devices?tag=line-b", FleetJsonContext.Default.IReadOnlyListDeviceSummary);
        Assert.Multiple(() =>
        {
            Assert.That(created.Username, Is.EqualTo("dev-1"));
            Assert.That(created.Password, Has.Length.GreaterThanOrEqualTo(43));
            Assert.That(created.TopicsRoot, Is.EqualTo("edge/v1/dev-1"));
            Assert.That(duplicate.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(listed.Select(d => d.Id), Is.EqualTo(new[] { "dev-1" }));
            Assert.That(untagged, Is.Empty);
        });
    }

    [Test]
    public async Task ApiToken_NotConfigured_IsGeneratedIntoDataDirectoryWithOwnerOnlyMode()
    {
        var data = TestHub.NewDataDirectory();
        try
        {
            var app = Hosting.HubApplication.Build(["--urls", "http://127.0.0.1:0", "--data", data, "--mqtt-port", "0"]);
            await app.StartAsync();
            try
            {
                var file = Path.Combine(data, "api-token");
                var token = (await File.ReadAllTextAsync(file)).Trim();
                using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await client.GetAsync("/api/devices");
                Assert.Multiple(() =>
                {
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                    if (!OperatingSystem.IsWindows())
                    {
                        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
                    }
                });
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public void Build_NonLoopbackUrlWithoutAllowRemote_Throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Hosting.HubApplication.Build(["--urls", "http://0.0.0.0:0", "--data", Path.GetTempPath()]));
        Assert.That(ex!.Message, Does.Contain("Hub:AllowRemote"));
    }

    [Test]
    public async Task UploadModel_SameDifferentAndTooLarge_Returns200Then409And413()
    {
        await using var hub = await TestHub.StartAsync(null, "--Hub:Artifacts:MaxBytes", "1000");
        var content = Enumerable.Range(0, 600).Select(i => (byte)i).ToArray();
        var first = await hub.UploadAsync("resnet", 1, content);
        var filesBefore = Directory.GetFiles(Path.Combine(hub.DataDirectory, "artifacts")).Length;
        using var same = await hub.Http.PutAsync("/api/models/resnet/versions/1", new ByteArrayContent(content));
        using var other = await hub.Http.PutAsync("/api/models/resnet/versions/1", new ByteArrayContent([1, 2, 3]));
        using var tooLarge = await hub.Http.PutAsync("/api/models/resnet/versions/2", new ByteArrayContent(new byte[1001]));
        using var badVersion = await hub.Http.PutAsync("/api/models/resnet/versions/0", new ByteArrayContent(content));
        var sameBody = await same.Content.ReadFromJsonAsync(FleetJsonContext.Default.ModelVersionResponse);
        var stored = hub.ArtifactBytes(first.Artifact.Id);
        Assert.Multiple(() =>
        {
            Assert.That(first.Artifact.Format, Is.EqualTo(Contracts.Sync.ArtifactFormats.EdgePackage));
            Assert.That(first.Artifact.Size, Is.EqualTo(stored.Length));
            Assert.That(first.Artifact.Id, Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stored))), "content addressed by the stored package");
            Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(sameBody!.Artifact, Is.EqualTo(first.Artifact), "the same upload keeps the first package, though signing it again would give other bytes");
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(tooLarge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            Assert.That(badVersion.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(Directory.GetFiles(Path.Combine(hub.DataDirectory, "artifacts")), Has.Length.EqualTo(filesBefore), "refused and repeated uploads leave no files behind");
        });
    }

    [Test]
    public async Task RetireVersion_WhileAssigned_Returns409ThenRetiredCannotBeAssigned()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-1");
        await hub.UploadAsync("m", 1, [1, 2, 3]);
        var assignment = await hub.AssignAsync("m", 1, deviceId: "dev-1");
        using var whileAssigned = await hub.Http.PostAsync("/api/models/m/versions/1/retire", null);
        using var deleted = await hub.Http.DeleteAsync($"/api/assignments/{assignment.Id}");
        using var retired = await hub.Http.PostAsync("/api/models/m/versions/1/retire", null);
        using var assignRetired = await hub.Http.PostAsJsonAsync("/api/assignments", new AssignmentRequest { Model = "m", Version = "1", DeviceId = "dev-1" }, FleetJsonContext.Default.AssignmentRequest);
        Assert.Multiple(() =>
        {
            Assert.That(whileAssigned.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(retired.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(assignRetired.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });
    }
}
