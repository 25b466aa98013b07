using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;

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
    /// <summary>Assignments take every rollout strategy with its numbers, and the desired state carries the whole spec.</summary>
    [Test]
    public async Task Assign_RolloutSpecAndStrategyShorthand_ReachDesiredState()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-1");
        await hub.RegisterAsync("dev-2");
        await hub.UploadAsync("m", 1, [1, 2, 3]);
        var canary = new RolloutSpec
        {
            Strategy = RolloutStrategies.Canary,
            SplitPercent = 10,
            StickyHeader = "X-User-Id",
            AutoAdvanceSeconds = 600,
            Guardrails = new GuardrailSpec { MaxErrorRate = 0.02, MinRequests = 100 },
        };
        using var withSpec = await hub.Http.PostAsJsonAsync("/api/assignments", new AssignmentRequest { Model = "m", Version = "1", DeviceId = "dev-1", Rollout = canary }, FleetJsonContext.Default.AssignmentRequest);
        using var shorthand = await hub.Http.PostAsJsonAsync("/api/assignments", new AssignmentRequest { Model = "m", Version = "1", DeviceId = "dev-2", Strategy = RolloutStrategies.BlueGreen }, FleetJsonContext.Default.AssignmentRequest);
        var created = (await withSpec.Content.ReadFromJsonAsync(FleetJsonContext.Default.AssignmentResponse))!;
        var desired1 = await hub.GetAsync("/api/devices/dev-1/desired", FleetJsonContext.Default.DesiredState);
        var desired2 = await hub.GetAsync("/api/devices/dev-2/desired", FleetJsonContext.Default.DesiredState);
        // A partial spec from a hand-written request keeps the defaults of what it leaves out.
        using var partial = await hub.Http.PostAsync(
            "/api/assignments",
            new StringContent("""{"model":"m","version":"1","tag":"t","rollout":{"strategy":"shadow","guardrails":{"max_disagreement":0.2}}}""", System.Text.Encoding.UTF8, "application/json"));
        var partialRollout = (await partial.Content.ReadFromJsonAsync(FleetJsonContext.Default.AssignmentResponse))!.Rollout;
        Assert.Multiple(() =>
        {
            Assert.That(partialRollout, Is.EqualTo(new RolloutSpec { Strategy = RolloutStrategies.Shadow, Guardrails = new GuardrailSpec { MaxDisagreement = 0.2 } }));
            Assert.That((int)withSpec.StatusCode, Is.EqualTo(201));
            Assert.That((int)shorthand.StatusCode, Is.EqualTo(201));
            Assert.That(created.Strategy, Is.EqualTo(RolloutStrategies.Canary));
            Assert.That(created.Rollout, Is.EqualTo(canary));
            Assert.That(desired1.Models.Single().Rollout, Is.EqualTo(canary));
            Assert.That(desired2.Models.Single().Rollout, Is.EqualTo(new RolloutSpec { Strategy = RolloutStrategies.BlueGreen }));
        });
    }

    /// <summary>Unknown strategies, numbers out of range and a shorthand that contradicts the spec are refused.</summary>
    [TestCase("yolo", null, "strategy 'yolo' is not known")]
    [TestCase(null, """{"strategy":"canary","split_percent":120}""", "split_percent must be between 0 and 100")]
    [TestCase(null, """{"strategy":"shadow","shadow_sample_rate":1.5}""", "shadow_sample_rate must be between 0 and 1")]
    [TestCase(null, """{"strategy":"blue_green","auto_advance_seconds":-5}""", "auto_advance_seconds must not be negative")]
    [TestCase(null, """{"strategy":"canary","sticky_header":"X User"}""", "sticky_header")]
    [TestCase(null, """{"guardrails":{"max_error_rate":2}}""", "max_error_rate must be between 0 and 1")]
    [TestCase(null, """{"guardrails":{"min_requests":0}}""", "min_requests")]
    [TestCase(null, """{"guardrails":{"max_latency_ratio":0}}""", "max_latency_ratio must be positive")]
    [TestCase("canary", """{"strategy":"shadow"}""", "disagree")]
    public async Task Assign_InvalidRollout_Returns400(string? strategy, string? rollout, string error)
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-1");
        await hub.UploadAsync("m", 1, [1, 2, 3]);
        var body = $$"""{"model":"m","version":"1","device_id":"dev-1"{{(strategy is null ? "" : $",\"strategy\":\"{strategy}\"")}}{{(rollout is null ? "" : $",\"rollout\":{rollout}")}}}""";
        using var response = await hub.Http.PostAsync("/api/assignments", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var message = (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.ErrorResponse))!.Error;
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(400), message);
            Assert.That(message, Does.Contain(error));
        });
    }

    /// <summary>The rollout commands need the model they act on; with it they go to the device like any command.</summary>
    [Test]
    public async Task SendCommand_RolloutCommandsWithoutModel_Return400()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-1");
        var statuses = new List<int>();
        foreach (var name in new[] { DeviceCommandNames.Promote, DeviceCommandNames.Advance, DeviceCommandNames.Rollback })
        {
            using var bare = await hub.Http.PostAsJsonAsync("/api/devices/dev-1/commands", new CommandRequest { Name = name }, FleetJsonContext.Default.CommandRequest);
            using var withModel = await hub.Http.PostAsJsonAsync(
                "/api/devices/dev-1/commands",
                new CommandRequest { Name = name, Arguments = new Dictionary<string, string> { ["model"] = "ocr" } },
                FleetJsonContext.Default.CommandRequest);
            statuses.Add((int)bare.StatusCode);
            statuses.Add((int)withModel.StatusCode);
        }

        Assert.That(statuses, Is.EqualTo(new[] { 400, 202, 400, 202, 400, 202 }));
    }

    /// <summary><c>run_batch</c> needs a model, an input and an output; with them it goes to the device like any command.</summary>
    [Test]
    public async Task SendCommand_RunBatchWithoutModelInputOrOutput_Returns400NamingWhatIsMissing()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-1");
        var complete = new Dictionary<string, string> { ["model"] = "sensor", ["input"] = "readings.csv", ["output"] = "scores.db", ["batch_size"] = "16" };
        var answers = new List<(int Status, string Body)>();
        foreach (var arguments in new[]
        {
            complete,
            new Dictionary<string, string>(complete.Where(a => a.Key != "model")),
            new Dictionary<string, string>(complete.Where(a => a.Key != "input")),
            new Dictionary<string, string>(complete) { ["output"] = " " },
            new Dictionary<string, string>(complete) { ["model"] = "../etc" },
        })
        {
            using var response = await hub.Http.PostAsJsonAsync(
                "/api/devices/dev-1/commands",
                new CommandRequest { Name = DeviceCommandNames.RunBatch, Arguments = arguments },
                FleetJsonContext.Default.CommandRequest);
            var body = await response.Content.ReadAsStringAsync();
            answers.Add(((int)response.StatusCode, (int)response.StatusCode == 400 ? JsonNode.Parse(body)!["error"]!.GetValue<string>() : body));
        }

        using var bare = await hub.Http.PostAsJsonAsync("/api/devices/dev-1/commands", new CommandRequest { Name = DeviceCommandNames.RunBatch }, FleetJsonContext.Default.CommandRequest);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Status), Is.EqualTo(new[] { 202, 400, 400, 400, 400 }), string.Join("\n", answers.Select(a => a.Body)));
            Assert.That(answers[1].Body, Does.Contain("missing 'model'"));
            Assert.That(answers[2].Body, Does.Contain("missing 'input'"));
            Assert.That(answers[3].Body, Does.Contain("missing 'output'"));
            Assert.That(answers[4].Body, Does.Contain("not a valid model name"));
            Assert.That((int)bare.StatusCode, Is.EqualTo(400));
        });
    }
}
