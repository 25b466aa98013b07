using System.Net.Http.Json;
using System.Text;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Host.Tests.Infrastructure;
using EdgeRuntime.Tests.Shared;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// A job running in the host when the host is killed with SIGKILL: the restarted host resumes it by itself and it
/// completes with exactly one result per input row.
/// </summary>
[NonParallelizable]
public sealed class BatchHostRestartTests
{
    private const int Rows = 200_000;
    private string _data = null!;

    [SetUp]
    public void SetUp()
    {
        _data = TestRepository.NewDataDirectory("batch-restart");
        DemoModel.Write(Path.Combine(_data, "models", DemoModel.Name, "1"));
        BatchFiles.WriteReadings(Path.Combine(_data, "batch", "readings.csv"), Rows);
    }

    [TearDown]
    public void TearDown() => TestRepository.Delete(_data);

    /// <summary>Killed mid-job, restarted: the job resumes from its checkpoint without being submitted again.</summary>
    [Test]
    public async Task HostKilledMidJob_RestartedHostResumesItToExactlyOneResultPerRow()
    {
        var output = Path.Combine(_data, "batch", "scores.db");
        await using (var doomed = await EdgeRuntimeProcess.StartAsync(_data))
        {
            await doomed.WaitReadyAsync();
            using var client = doomed.CreateClient();
            using var submit = await client.PostAsync(
                "/v2/edge/batch/jobs",
                new StringContent("""{"id": "resumable", "model": "demo", "input": {"path": "readings.csv"}, "output": "scores.db", "batch_size": 16, "parallelism": 1}""", Encoding.UTF8, "application/json"));
            Assert.That((int)submit.StatusCode, Is.EqualTo(202), await submit.Content.ReadAsStringAsync());
            await Wait.UntilAsync(async () => BatchResults.NextIndex(output) > 0 || await StateAsync(client) is BatchJobStates.Completed);
            Assert.That(await StateAsync(client), Is.Not.EqualTo(BatchJobStates.Completed), "the job ended before the host could be killed; give it more rows");

            // DisposeAsync kills with SIGKILL: no shutdown code runs.
        }

        var killedAt = BatchResults.NextIndex(output);
        Assert.That(killedAt, Is.InRange(1, Rows - 1));

        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        using var restarted = host.CreateClient();
        BatchJobStatus? final = null;
        await Wait.UntilAsync(async () =>
        {
            final = await restarted.GetFromJsonAsync("/v2/edge/batch/jobs/resumable", ContractsJsonContext.Default.BatchJobStatus);
            return final is not null && BatchJobStates.IsFinished(final.State);
        });

        Assert.Multiple(() =>
        {
            Assert.That(final!.State, Is.EqualTo(BatchJobStates.Completed), final.Reason);
            Assert.That(final.RowsSucceeded, Is.EqualTo(Rows));
            Assert.That(final.RowsResumed, Is.GreaterThanOrEqualTo(killedAt));
        });
        Assert.That(BatchResults.Coverage(output), Is.EqualTo(((long)Rows, (long)Rows, 0L, (long)Rows - 1)), "count, distinct, min, max of results ∪ errors");
    }

    private static async Task<string?> StateAsync(HttpClient client) =>
        (await client.GetFromJsonAsync("/v2/edge/batch/jobs/resumable", ContractsJsonContext.Default.BatchJobStatus))?.State;
}
