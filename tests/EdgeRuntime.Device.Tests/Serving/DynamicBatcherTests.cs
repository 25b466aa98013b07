using System.Buffers.Binary;
using System.Text;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Serving;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Serving;

/// <summary>
/// The dynamic batcher against real ONNX Runtime sessions. Batches are made deterministic with a long
/// queue delay: a batch runs only once it is full, so no test depends on how fast anything is.
/// </summary>
public sealed class DynamicBatcherTests
{
    private static readonly TimeSpan Forever = TimeSpan.FromSeconds(30);
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    [Test]
    public async Task InferAsync_BurstOfMixedBatchSizes_EachRequestGetsItsUnbatchedAnswer()
    {
        var model = SyntheticModels.Demo().Bytes;
        var batched = _sessions.Load(model, "demo");
        var reference = _sessions.Load(model, "demo");
        using var batcher = new DynamicBatcher(batched, new BatchingOptions { MaxBatchSize = 32, MaxQueueDelay = Forever });
        var random = new Random(7);
        var rows = new List<int>();
        while (rows.Sum() < 32)
        {
            rows.Add(Math.Min(random.Next(1, 4), 32 - rows.Sum()));
        }

        var requests = rows.Select((r, i) => TestSessions.FloatRequest("input", TestSessions.Readings(random, r), [r, 4], id: $"r{i}")).ToList();
        var responses = await Task.WhenAll(requests.Select(r => batcher.InferAsync(r, "demo")));

        for (var i = 0; i < requests.Count; i++)
        {
            using var expected = reference.Run(requests[i], "demo");
            using var actual = responses[i];
            Assert.That(actual.Id, Is.EqualTo($"r{i}"));
            Assert.That(actual.Outputs[0].Shape, Is.EqualTo(new long[] { rows[i], 3 }));
            // ONNX Runtime's vectorised float kernels may round the last bit differently for other batch
            // lengths; anything beyond that would be another request's rows.
            Assert.That(TestSessions.Floats(actual.Outputs[0]), Is.EqualTo(TestSessions.Floats(expected.Outputs[0])).Within(1e-6f), $"request {i} ({rows[i]} rows)");
        }

        var stats = batched.Statistics.Snapshot("demo", "1");
        Assert.That(stats.ExecutionCount, Is.EqualTo(1), "the whole burst ran as one batch");
        Assert.That(stats.BatchStats.Single().BatchSize, Is.EqualTo(32));
        Assert.That(stats.InferenceCount, Is.EqualTo(32));
    }

    [Test]
    public async Task InferAsync_MultipleInputsAndChosenOutputs_EachRequestGetsItsOwnRowsInItsOrder()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");
        using var batcher = new DynamicBatcher(session, new BatchingOptions { MaxBatchSize = 6, MaxQueueDelay = Forever });
        int[] rows = [1, 3, 2];
        var requests = rows.Select((r, i) => new InferenceRequest
        {
            Inputs =
            [
                TestSessions.FloatTensor("a", [.. Enumerable.Range(0, r * 3).Select(v => (float)(v + (10 * i)))], [r, 3]),
                TestSessions.FloatTensor("b", [.. Enumerable.Range(0, r * 3).Select(v => (float)(-v % 3))], [r, 3]),
            ],
            Outputs = [new RequestedOutput("argmax"), new RequestedOutput("sum")],
        }).ToList();

        var responses = await Task.WhenAll(requests.Select(r => batcher.InferAsync(r, "multi_io")));

        for (var i = 0; i < requests.Count; i++)
        {
            using var response = responses[i];
            Assert.That(response.Outputs.Select(o => o.Name), Is.EqualTo(new[] { "argmax", "sum" }));
            var a = TestSessions.Floats(requests[i].Inputs[0]);
            var b = TestSessions.Floats(requests[i].Inputs[1]);
            var sum = a.Zip(b, (x, y) => x + y).ToArray();
            Assert.That(TestSessions.Floats(response.Outputs[1]), Is.EqualTo(sum));
            var argmax = Enumerable.Range(0, rows[i]).Select(r => (long)Array.IndexOf(sum, sum.Skip(r * 3).Take(3).Max(), r * 3) - (r * 3L)).ToArray();
            var actual = Enumerable.Range(0, rows[i]).Select(r => BinaryPrimitives.ReadInt64LittleEndian(response.Outputs[0].Data.Span[(r * 8)..])).ToArray();
            Assert.That(actual, Is.EqualTo(argmax));
            Assert.That(response.Outputs[0].Shape, Is.EqualTo(new long[] { rows[i] }));
        }

        Assert.That(session.Statistics.Snapshot("multi_io", "1").ExecutionCount, Is.EqualTo(1));
    }

    [Test]
    public async Task InferAsync_DifferentInnerShapes_RunInSeparateBatchesAndStringsSplitExactly()
    {
        var session = _sessions.Load(EchoModel(), "echo");
        using var batcher = new DynamicBatcher(session, new BatchingOptions { MaxBatchSize = 2, MaxQueueDelay = Forever });
        int[] widths = [3, 5, 3, 5];
        var requests = widths.Select((w, i) => new InferenceRequest
        {
            Inputs =
            [
                TestSessions.FloatTensor("x", [.. Enumerable.Range(0, w).Select(v => (float)((100 * i) + v))], [1, w]),
                Strings("s", [.. Enumerable.Range(0, w).Select(v => new string('é', i + v))]),
            ],
        }).ToList();

        var responses = await Task.WhenAll(requests.Select(r => batcher.InferAsync(r, "echo")));

        for (var i = 0; i < requests.Count; i++)
        {
            using var response = responses[i];
            Assert.That(response.Outputs.Single(o => o.Name == "y").Data.ToArray(), Is.EqualTo(requests[i].Inputs[0].Data.ToArray()));
            Assert.That(response.Outputs.Single(o => o.Name == "t").Data.ToArray(), Is.EqualTo(requests[i].Inputs[1].Data.ToArray()));
            Assert.That(response.Outputs.Single(o => o.Name == "t").Shape, Is.EqualTo(new long[] { 1, widths[i] }));
        }

        var stats = session.Statistics.Snapshot("echo", "1");
        Assert.That(stats.ExecutionCount, Is.EqualTo(2), "[1,3] and [1,5] requests never share a run");
        Assert.That(stats.BatchStats.Single().BatchSize, Is.EqualTo(2));
    }

    [Test]
    public async Task InferAsync_QueueFull_RefusesWithRetryAfterAndServesEveryAcceptedRequest()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        // The two accepted requests wait out a 2 s delay, far longer than the instant between the calls below.
        var options = new BatchingOptions { MaxBatchSize = 8, MaxQueueSize = 2, MaxQueueDelay = TimeSpan.FromSeconds(2) };
        using var batcher = new DynamicBatcher(session, options);
        var random = new Random(3);
        var accepted = new[] { batcher.InferAsync(TestSessions.FloatRequest("input", TestSessions.Readings(random, 1), [1, 4]), "demo"), batcher.InferAsync(TestSessions.FloatRequest("input", TestSessions.Readings(random, 1), [1, 4]), "demo") };
        Assert.That(batcher.QueuedCount, Is.EqualTo(2));

        var refused = Assert.ThrowsAsync<InferenceException>(() => batcher.InferAsync(TestSessions.FloatRequest("input", TestSessions.Readings(random, 1), [1, 4]), "demo"));

        Assert.That(refused!.Kind, Is.EqualTo(InferenceErrorKind.Unavailable));
        Assert.That(refused.RetryAfter, Is.Not.Null);
        Assert.That(refused.Message, Does.Contain("max_queue_size"));
        foreach (var response in await Task.WhenAll(accepted))
        {
            using (response)
            {
                Assert.That(TestSessions.Floats(response.Outputs[0]).Sum(), Is.EqualTo(1f).Within(1e-5));
            }
        }

        Assert.That(batcher.QueuedCount, Is.Zero);
        Assert.That(session.Statistics.Pending, Is.Zero);
    }

    [Test]
    public async Task InferAsync_CallerCancels_LeavesTheQueueAndFreesItsPlace()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        using var batcher = new DynamicBatcher(session, new BatchingOptions { MaxBatchSize = 2, MaxQueueSize = 1, MaxQueueDelay = Forever });
        var random = new Random(5);
        using var cancellation = new CancellationTokenSource();
        var abandoned = batcher.InferAsync(TestSessions.FloatRequest("input", TestSessions.Readings(random, 1), [1, 4]), "demo", cancellation.Token);
        Assert.That(batcher.QueuedCount, Is.EqualTo(1));

        await cancellation.CancelAsync();

        Assert.That(async () => await abandoned, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(batcher.QueuedCount, Is.Zero);
        using var served = await batcher.InferAsync(TestSessions.FloatRequest("input", TestSessions.Readings(random, 2), [2, 4]), "demo");
        Assert.That(served.Outputs[0].Shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(session.Statistics.Snapshot("demo", "1").ExecutionCount, Is.EqualTo(1), "the cancelled request never ran");
    }

    [Test]
    public void InferAsync_QueuedPastItsTimeout_RefusedAsUnavailable()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        using var batcher = new DynamicBatcher(session, new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = Forever, DefaultTimeout = TimeSpan.FromMilliseconds(50) });

        var ex = Assert.ThrowsAsync<InferenceException>(() => batcher.InferAsync(TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]), "demo"));

        Assert.That(ex!.Kind, Is.EqualTo(InferenceErrorKind.Unavailable));
        Assert.That(ex.Message, Does.Contain("timeout"));
        Assert.That(batcher.QueuedCount, Is.Zero);
    }

    [Test]
    public void InferAsync_RequestThatDoesNotFit_RefusedBeforeItQueues()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        using var batcher = new DynamicBatcher(session, new BatchingOptions { MaxBatchSize = 4, MaxQueueDelay = Forever });

        var wrongShape = Assert.ThrowsAsync<InferenceException>(() => batcher.InferAsync(TestSessions.FloatRequest("input", [1, 2, 3], [1, 3]), "demo"));
        var tooManyRows = Assert.ThrowsAsync<InferenceException>(() => batcher.InferAsync(TestSessions.FloatRequest("input", new float[20], [5, 4]), "demo"));

        Assert.That(wrongShape!.Kind, Is.EqualTo(InferenceErrorKind.BadRequest));
        Assert.That(tooManyRows!.Message, Does.Contain("max_batch_size of 4"));
        Assert.That(batcher.QueuedCount, Is.Zero);
    }

    [Test]
    public void From_ModelWithFixedBatchDimension_RefusedWithTheReason()
    {
        var fixedBatch = new OnnxModelBuilder("fixed").AddInput("x", DataType.Float, 1, 4).AddNode("Identity", ["x"], ["y"]).AddOutput("y", DataType.Float, 1, 4).Build();
        var session = _sessions.Load(fixedBatch, "fixed");
        var config = new ModelConfig { MaxBatchSize = 8, DynamicBatching = new DynamicBatchingConfig() };

        var ex = Assert.Throws<InvalidDataException>(() => BatchingOptions.From(config, session.Inputs, session.Outputs));

        Assert.That(ex!.Message, Does.Contain("input 'x' has shape [1,4]"));
    }

    [Test]
    public void From_SettingsOutOfRange_RefusedWithTheSetting()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");

        Assert.That(
            () => BatchingOptions.From(new ModelConfig { MaxBatchSize = 4, DynamicBatching = new DynamicBatchingConfig { PreferredBatchSize = [8] } }, session.Inputs, session.Outputs),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("preferred_batch_size 8"));
        Assert.That(
            () => BatchingOptions.From(new ModelConfig { DynamicBatching = new DynamicBatchingConfig { MaxQueueDelayMicroseconds = -1 } }, session.Inputs, session.Outputs),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("max_queue_delay_microseconds"));
        var defaults = BatchingOptions.From(new ModelConfig { DynamicBatching = new DynamicBatchingConfig() }, session.Inputs, session.Outputs);
        Assert.That(defaults!.MaxBatchSize, Is.EqualTo(BatchingOptions.DefaultMaxBatchSize));
        Assert.That(defaults.MaxQueueDelay, Is.EqualTo(TimeSpan.Zero));
        Assert.That(BatchingOptions.From(new ModelConfig(), session.Inputs, session.Outputs), Is.Null);
    }

    /// <summary>Echoes <c>x</c> (FP32) to <c>y</c> and <c>s</c> (BYTES) to <c>t</c>, both [batch, any].</summary>
    private static byte[] EchoModel() => new OnnxModelBuilder("echo")
        .AddInput("x", DataType.Float, SyntheticModels.BatchDimension, OnnxDimension.Unknown)
        .AddInput("s", DataType.String, SyntheticModels.BatchDimension, OnnxDimension.Unknown)
        .AddNode("Identity", ["x"], ["y"])
        .AddNode("Identity", ["s"], ["t"])
        .AddOutput("y", DataType.Float, SyntheticModels.BatchDimension, OnnxDimension.Unknown)
        .AddOutput("t", DataType.String, SyntheticModels.BatchDimension, OnnxDimension.Unknown)
        .Build();

    private static InferenceTensor Strings(string name, string[] values)
    {
        var bytes = new List<byte>();
        foreach (var value in values)
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            bytes.AddRange(BitConverter.GetBytes(utf8.Length));
            bytes.AddRange(utf8);
        }

        return new InferenceTensor(name, TensorDataType.Bytes, [1, values.Length], bytes.ToArray());
    }
}
