using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Host.Tests.Infrastructure;
using EdgeRuntime.Tests.Shared;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// <c>/v2/edge/batch/jobs</c> on a real host with an access token and an admin token: jobs are submitted, listed, read
/// and cancelled; bad requests, unknown models and paths outside the allowed roots are refused with the reason; a
/// finished job's <c>batch_job_finished</c> event is in the device's telemetry; <c>edge-runtime batch --submit</c>
/// hands a job to it.
/// </summary>
[NonParallelizable]
public sealed class BatchEndpointsTests
{
    private const string AccessToken = "reader-token";
    private const string AdminToken = "admin-token";
    private const int Rows = 300;
    private string _data = null!;
    private string _batch = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _reader = null!;
    private HttpClient _admin = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("batch-api");
        _batch = Path.Combine(_data, "batch");
        DemoModel.Write(Path.Combine(_data, "models", DemoModel.Name, "1"));
        BatchFiles.WriteReadings(Path.Combine(_batch, "readings.csv"), Rows, malformed: [3]);

        // Long enough that a cancel arrives while it runs: one row per run.
        BatchFiles.WriteReadings(Path.Combine(_batch, "long.csv"), 200_000);
        _host = await EdgeRuntimeProcess.StartAsync(_data, [$"--EdgeRuntime:Api:AccessToken={AccessToken}", $"--EdgeRuntime:Api:AdminToken={AdminToken}"]);
        await _host.WaitReadyAsync();
        _reader = Client(AccessToken);
        _admin = Client(AdminToken);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _reader?.Dispose();
        _admin?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        TestRepository.Delete(_data);
    }

    /// <summary>202 with the status and its address; the job completes, is listed, and its event is in the telemetry store.</summary>
    [Test]
    public async Task Submit_GoodJob_Returns202AndCompletesWithItsEventInTelemetry()
    {
        using var response = await PostAsync(_admin, """{"id": "api-good", "model": "demo", "input": {"path": "readings.csv", "key": "id"}, "output": "api-good.db", "batch_size": 8}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(202), body);
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo("/v2/edge/batch/jobs/api-good"));
        var submitted = JsonSerializer.Deserialize(body, ContractsJsonContext.Default.BatchJobStatus)!;
        Assert.That((submitted.Id, submitted.Model, submitted.Trigger), Is.EqualTo(("api-good", "demo", "api")));

        var final = await WaitFinishedAsync("api-good");
        Assert.Multiple(() =>
        {
            Assert.That(final.State, Is.EqualTo(BatchJobStates.Completed), final.Reason);
            Assert.That((final.RowsSucceeded, final.RowsFailed), Is.EqualTo(((long)Rows - 1, 1L)));
            Assert.That(final.Version, Is.EqualTo("1"));
            Assert.That(final.Output, Is.EqualTo(Path.Combine(_batch, "api-good.db")), "a relative output is under <data>/batch");
        });
        Assert.That(BatchResults.Coverage(Path.Combine(_batch, "api-good.db")), Is.EqualTo(((long)Rows, (long)Rows, 0L, (long)Rows - 1)));

        var list = await _reader.GetFromJsonAsync("/v2/edge/batch/jobs", ContractsJsonContext.Default.BatchJobsResponse);
        Assert.That(list!.Jobs.Select(j => j.Id), Does.Contain("api-good"));

        TelemetryRecordEntry? finished = null;
        await Wait.UntilAsync(async () =>
        {
            var records = await _reader.GetFromJsonAsync("/v2/edge/telemetry/records?limit=1000", ContractsJsonContext.Default.TelemetryRecordsResponse);
            finished = records!.Records.FirstOrDefault(r => r.Type == TelemetryRecordTypes.BatchJobFinished && r.Payload.GetProperty("id").GetString() == "api-good");
            return finished is not null;
        });
        Assert.That((finished!.Kind, finished.Model, finished.Version), Is.EqualTo(("event", "demo", "1")));
        Assert.That(finished.Payload.GetProperty("rows_succeeded").GetInt64(), Is.EqualTo(Rows - 1));
    }

    /// <summary>A request that cannot become a job is 400 with a reason that names the problem, and nothing is queued.</summary>
    [TestCase("{\"model\": \"demo\", \"input\": ", "malformed JSON")]
    [TestCase("", "batch job request")]
    [TestCase("""{"input": {"path": "readings.csv"}, "output": "x.db"}""", "model")]
    [TestCase("""{"model": "demo", "output": "x.db"}""", "input")]
    [TestCase("""{"model": "demo", "input": {"path": "readings.csv"}}""", "output")]
    [TestCase("""{"model": "demo", "input": {"path": "readings.csv"}, "output": "x.db", "batch_size": "many"}""", "batch_size")]
    [TestCase("""{"model": "demo", "input": {"path": "readings.csv"}, "output": "x.db", "batch_size": 0}""", "batch_size")]
    [TestCase("""{"model": "demo", "input": {"path": "readings.csv"}, "output": "x.db", "parallelism": -2}""", "parallelism")]
    public async Task Submit_BadRequest_Returns400WithTheReason(string json, string reason)
    {
        using var response = await PostAsync(_admin, json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(400), body);
        Assert.That(Oip.ErrorOf(JsonNode.Parse(body)), Does.Contain(reason));
    }

    /// <summary>A model the store does not hold is refused (404) before anything runs.</summary>
    [Test]
    public async Task Submit_UnknownModel_IsRefusedNamingIt()
    {
        using var response = await PostAsync(_admin, """{"model": "nosuch", "input": {"path": "readings.csv"}, "output": "nosuch.db"}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(404), body);
        Assert.That(Oip.ErrorOf(JsonNode.Parse(body)), Does.Contain("'nosuch'").And.Contain("demo"), "names the model and what the store holds");
        Assert.That(File.Exists(Path.Combine(_batch, "nosuch.db")), Is.False);
    }

    /// <summary>Reading or writing outside the allowed roots (default <c>&lt;data&gt;/batch</c>) is forbidden (403).</summary>
    [TestCase("/etc/passwd", "outside.db")]
    [TestCase("readings.csv", "/tmp/outside-the-roots.db")]
    public async Task Submit_PathOutsideAllowedRoots_IsRefused(string input, string output)
    {
        var request = new JsonObject { ["model"] = "demo", ["input"] = new JsonObject { ["path"] = input }, ["output"] = output };
        using var response = await PostAsync(_admin, request.ToJsonString());
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(403), body);
        Assert.That(Oip.ErrorOf(JsonNode.Parse(body)), Does.Contain("is outside the folders batch jobs may use").And.Contain("EdgeRuntime:Batch:AllowedRoots"));
        Assert.That(File.Exists("/tmp/outside-the-roots.db"), Is.False);
    }

    /// <summary>The model repository is never a batch job's to read or write, whatever the allowed roots say (403).</summary>
    [Test]
    public async Task Submit_PathInTheModelRepository_IsRefused()
    {
        using var response = await PostAsync(_admin, """{"model": "demo", "input": {"path": "../models/demo/1/manifest.json"}, "output": "outside.db"}""");
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(403), body);
        Assert.That(Oip.ErrorOf(JsonNode.Parse(body)), Does.Contain("is inside the model repository").And.Contain("may never read or write"));
    }

    /// <summary>Reading needs the access token; submitting and cancelling need the admin token.</summary>
    [Test]
    public async Task Tokens_ReadWithAccessTokenChangeWithAdminToken()
    {
        using var anonymous = Client(null);
        using var listAnonymous = await anonymous.GetAsync("/v2/edge/batch/jobs");
        using var listReader = await _reader.GetAsync("/v2/edge/batch/jobs");
        using var submitAnonymous = await PostAsync(anonymous, """{"model": "demo", "input": {"path": "readings.csv"}, "output": "denied.db"}""");
        using var submitReader = await PostAsync(_reader, """{"model": "demo", "input": {"path": "readings.csv"}, "output": "denied.db"}""");
        using var cancelReader = await _reader.PostAsync("/v2/edge/batch/jobs/api-good/cancel", null);

        Assert.Multiple(() =>
        {
            Assert.That((int)listAnonymous.StatusCode, Is.EqualTo(401));
            Assert.That((int)listReader.StatusCode, Is.EqualTo(200));
            Assert.That((int)submitAnonymous.StatusCode, Is.EqualTo(403));
            Assert.That((int)submitReader.StatusCode, Is.EqualTo(403));
            Assert.That((int)cancelReader.StatusCode, Is.EqualTo(403));
        });
        Assert.That(File.Exists(Path.Combine(_batch, "denied.db")), Is.False);
    }

    /// <summary>
    /// A second job writing a running job's output is 409; cancelling the running job ends it cancelled with its
    /// checkpoint; again is 409; unknown jobs are 404.
    /// </summary>
    [Test]
    public async Task Cancel_RunningJob_EndsCancelledThen409AndUnknown404()
    {
        using (var submit = await PostAsync(_admin, """{"id": "api-long", "model": "demo", "input": {"path": "long.csv"}, "output": "api-long.db", "batch_size": 1}"""))
        {
            Assert.That((int)submit.StatusCode, Is.EqualTo(202), await submit.Content.ReadAsStringAsync());
        }

        await Wait.UntilAsync(async () => await GetAsync("api-long") is { State: BatchJobStates.Running, RowsSucceeded: > 0 });
        using (var clash = await PostAsync(_admin, """{"id": "api-clash", "model": "demo", "input": {"path": "readings.csv"}, "output": "api-long.db"}"""))
        {
            var answer = await clash.Content.ReadAsStringAsync();
            Assert.That((int)clash.StatusCode, Is.EqualTo(409), answer);
            Assert.That(Oip.ErrorOf(JsonNode.Parse(answer)), Does.Contain("job api-long writes"), "another job's output is refused while it runs");
        }

        using (var cancel = await _admin.PostAsync("/v2/edge/batch/jobs/api-long/cancel", null))
        {
            Assert.That((int)cancel.StatusCode, Is.EqualTo(200), await cancel.Content.ReadAsStringAsync());
        }

        var final = await WaitFinishedAsync("api-long");
        Assert.That(final.State, Is.EqualTo(BatchJobStates.Cancelled));
        Assert.That(final.RowsSucceeded, Is.LessThan(200_000));
        var checkpoint = BatchResults.NextIndex(Path.Combine(_batch, "api-long.db"));
        Assert.That(BatchResults.Coverage(Path.Combine(_batch, "api-long.db")), Is.EqualTo((checkpoint, checkpoint, 0L, checkpoint - 1)), "what was committed is whole");

        using var again = await _admin.PostAsync("/v2/edge/batch/jobs/api-long/cancel", null);
        using var unknownCancel = await _admin.PostAsync("/v2/edge/batch/jobs/nosuch/cancel", null);
        using var unknownGet = await _reader.GetAsync("/v2/edge/batch/jobs/nosuch");
        Assert.Multiple(() =>
        {
            Assert.That((int)again.StatusCode, Is.EqualTo(409));
            Assert.That((int)unknownCancel.StatusCode, Is.EqualTo(404));
            Assert.That((int)unknownGet.StatusCode, Is.EqualTo(404));
        });
    }

    /// <summary><c>edge-runtime batch --submit --wait</c> hands the job to this host and follows it to its end.</summary>
    [Test]
    public async Task CliSubmitWait_RunsTheJobInTheHostAndExitsWithItsOutcome()
    {
        var result = await CommandProcess.RunAsync(
            _batch,
            "batch", "--submit", "--wait", "--url", _host.BaseAddress.ToString(), "--token", AdminToken,
            "--model", "demo", "--input", "readings.csv", "--output", "cli-submitted.db", "--id", "cli-submitted");

        Assert.That(result.ExitCode, Is.EqualTo(3), result.Error);
        Assert.That(result.Output, Does.StartWith("completed cli-submitted:").And.Contain($"{Rows} rows ({Rows - 1} results, 1 errors)"));
        var status = await GetAsync("cli-submitted");
        Assert.That((status!.State, status.Trigger), Is.EqualTo((BatchJobStates.Completed, "api")));

        var refused = await CommandProcess.RunAsync(
            _batch,
            "batch", "--submit", "--url", _host.BaseAddress.ToString(), "--token", AccessToken,
            "--model", "demo", "--input", "readings.csv", "--output", "cli-refused.db");
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.Error);
        Assert.That(refused.Error, Does.Contain("403").And.Contain("admin token"));
    }

    private HttpClient Client(string? token)
    {
        var client = _host.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string json) =>
        client.PostAsync("/v2/edge/batch/jobs", new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<BatchJobStatus?> GetAsync(string id)
    {
        using var response = await _reader.GetAsync($"/v2/edge/batch/jobs/{id}");
        return response.IsSuccessStatusCode
            ? JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), ContractsJsonContext.Default.BatchJobStatus)
            : null;
    }

    private async Task<BatchJobStatus> WaitFinishedAsync(string id)
    {
        BatchJobStatus? status = null;
        await Wait.UntilAsync(async () => (status = await GetAsync(id)) is { } s && BatchJobStates.IsFinished(s.State));
        return status!;
    }
}
