using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Batch;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>The one mapping from what callers send (API request, hub arguments) to a job spec, and what it refuses.</summary>
public sealed class BatchJobRequestsTests
{
    /// <summary>Every hub argument lands in its field; lists split on commas, numbers and the flag parse.</summary>
    [Test]
    public void FromArguments_EveryArgument_FillsTheSpec()
    {
        var arguments = new Dictionary<string, string>
        {
            ["id"] = "nightly",
            ["model"] = "sensor",
            ["version"] = "3",
            ["input"] = "readings.db",
            ["format"] = "sqlite",
            ["tensor"] = "x",
            ["table"] = "readings",
            ["key"] = "ts",
            ["columns"] = "a, b,c",
            ["output"] = "scores.csv",
            ["output_format"] = "csv",
            ["outputs"] = "probabilities",
            ["batch_size"] = "32",
            ["parallelism"] = "2",
            ["restart"] = "true",
        };

        var spec = BatchJobRequests.ToSpec(BatchJobRequests.FromArguments(arguments), "hub");

        Assert.Multiple(() =>
        {
            Assert.That((spec.Id, spec.Model, spec.Version, spec.Output, spec.OutputFormat, spec.Trigger), Is.EqualTo(("nightly", "sensor", "3", "scores.csv", "csv", "hub")));
            Assert.That((spec.Input.Path, spec.Input.Format, spec.Input.Tensor, spec.Input.Table, spec.Input.KeyColumn), Is.EqualTo(("readings.db", "sqlite", "x", "readings", "ts")));
            Assert.That(spec.Input.Columns, Is.EqualTo(new[] { "a", "b", "c" }));
            Assert.That(spec.Outputs, Is.EqualTo(new[] { "probabilities" }));
            Assert.That((spec.BatchSize, spec.Parallelism, spec.Restart), Is.EqualTo(((int?)32, (int?)2, true)));
        });
    }

    /// <summary>Absent optional fields stay null, so the runner's defaults apply.</summary>
    [Test]
    public void ToSpec_MinimalRequest_LeavesDefaultsToTheRunner()
    {
        var spec = BatchJobRequests.ToSpec(new BatchJobRequest { Model = "demo", Input = new BatchJobInput { Path = "in.csv" }, Output = "out.db", Outputs = [] }, "api");

        Assert.Multiple(() =>
        {
            Assert.That((spec.Id, spec.Version, spec.OutputFormat, spec.BatchSize, spec.Parallelism, spec.Outputs), Is.EqualTo(((string?)null, (string?)null, (string?)null, (int?)null, (int?)null, (IReadOnlyList<string>?)null)));
            Assert.That((spec.Input.Format, spec.Input.Columns, spec.Restart), Is.EqualTo(((string?)null, (IReadOnlyList<string>?)null, false)));
        });
    }

    /// <summary>What is missing or malformed is refused with a message naming it.</summary>
    [TestCase(null, "in.csv", "out.db", null, "model is required")]
    [TestCase("demo", " ", "out.db", null, "input path is required")]
    [TestCase("demo", "in.csv", null, null, "output is required")]
    [TestCase("demo", "in.csv", "out.db", 0, "batch_size 0 must be at least 1")]
    public void ToSpec_MissingOrBadField_IsRefusedNamingIt(string? model, string? input, string? output, int? batchSize, string reason)
    {
        var request = new BatchJobRequest { Model = model, Input = new BatchJobInput { Path = input }, Output = output, BatchSize = batchSize };

        Assert.That(() => BatchJobRequests.ToSpec(request, "api"), Throws.TypeOf<BatchJobException>().With.Message.EqualTo(reason));
    }

    /// <summary>Hub arguments that do not parse, or that run_batch does not take, are refused rather than ignored.</summary>
    [TestCase("batch_size", "many", "batch_size 'many' must be a whole number of at least 1")]
    [TestCase("parallelism", "-1", "parallelism '-1' must be a whole number of at least 1")]
    [TestCase("restart", "yes", "restart 'yes' must be true or false")]
    [TestCase("inptu", "x.csv", "unknown argument 'inptu'")]
    public void FromArguments_BadArgument_IsRefusedNamingIt(string name, string value, string reason)
    {
        var arguments = new Dictionary<string, string> { ["model"] = "demo", ["input"] = "in.csv", ["output"] = "out.db", [name] = value };

        Assert.That(() => BatchJobRequests.FromArguments(arguments), Throws.TypeOf<BatchJobException>().With.Message.StartsWith(reason));
    }
}
