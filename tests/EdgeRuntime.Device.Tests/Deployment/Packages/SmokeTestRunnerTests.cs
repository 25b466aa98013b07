using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Tests.Serving;

namespace EdgeRuntime.Device.Tests.Deployment.Packages;

/// <summary><see cref="SmokeTestRunner"/> on real ONNX Runtime sessions of the generated models: passes what is right, names exactly what is not.</summary>
public sealed class SmokeTestRunnerTests
{
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    // multi_io: sum = a + b, product = a * b (FP32 [batch, 3]), argmax = argmax(sum) (INT64 [batch]); all exact here.
    private static SmokeTest MultiIoTest(double sum1 = 2.5, string argmaxType = "INT64", long[]? productShape = null) => new()
    {
        Inputs = [new SmokeTensor("a", "FP32", [1, 3], [1, 2, 3]), new SmokeTensor("b", "FP32", [1, 3], [0.5, 0.5, 0.5])],
        Expected =
        [
            new SmokeTensor("sum", "FP32", [1, 3], [1.5, sum1, 3.5]),
            new SmokeTensor("product", "FP32", productShape ?? [1, 3], [0.5, 1, 1.5]),
            new SmokeTensor("argmax", argmaxType, [1], [2]),
        ],
    };

    [Test]
    public async Task RunAsync_CorrectExpectations_Passes()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");

        Assert.That(await SmokeTestRunner.RunAsync(session, MultiIoTest(), CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task RunAsync_WrongExpectedValue_FailsNamingOutputElementAndTolerance()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");

        var reason = await SmokeTestRunner.RunAsync(session, MultiIoTest(sum1: 2.6), CancellationToken.None);

        Assert.That(reason, Is.EqualTo("smoke test output 'sum' element 1: expected 2.6, got 2.5 (tolerance 0.0001 + 0.001×|expected|)"));
    }

    [Test]
    public async Task RunAsync_WithinTolerance_Passes()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");
        var test = MultiIoTest(sum1: 2.5024) with { RelativeTolerance = 0.001, AbsoluteTolerance = 0 };

        Assert.That(await SmokeTestRunner.RunAsync(session, test, CancellationToken.None), Is.Null, "2.5 is within 0.001 × 2.5024 of 2.5024");
    }

    [Test]
    public async Task RunAsync_OutputOfOtherDatatypeOrShape_FailsNamingBoth()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");

        var datatype = await SmokeTestRunner.RunAsync(session, MultiIoTest(argmaxType: "INT32"), CancellationToken.None);
        var shape = await SmokeTestRunner.RunAsync(session, MultiIoTest(productShape: [3, 1]), CancellationToken.None);

        Assert.That(datatype, Is.EqualTo("smoke test output 'argmax': datatype INT32 expected, the model gives INT64"));
        Assert.That(shape, Is.EqualTo("smoke test output 'product': shape [3,1] expected, got [1,3]"));
    }

    [Test]
    public async Task RunAsync_InputsThatDoNotFit_FailNamingTheInput()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");
        var good = MultiIoTest();

        var wrongShape = await SmokeTestRunner.RunAsync(session, good with { Inputs = [good.Inputs[0] with { Shape = [1, 4], Data = [1, 2, 3, 4] }, good.Inputs[1]] }, CancellationToken.None);
        var wrongType = await SmokeTestRunner.RunAsync(session, good with { Inputs = [good.Inputs[0] with { Datatype = "FP64" }, good.Inputs[1]] }, CancellationToken.None);
        var unknown = await SmokeTestRunner.RunAsync(session, good with { Inputs = [.. good.Inputs, new SmokeTensor("c", "FP32", [1], [0])] }, CancellationToken.None);
        var missing = await SmokeTestRunner.RunAsync(session, good with { Inputs = [good.Inputs[0]] }, CancellationToken.None);
        var tooFew = await SmokeTestRunner.RunAsync(session, good with { Inputs = [good.Inputs[0] with { Data = [1, 2] }, good.Inputs[1]] }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(wrongShape, Is.EqualTo("smoke test input 'a' does not fit the model: shape [1,4], but the model expects [-1,3] (-1 is any size)"));
            Assert.That(wrongType, Is.EqualTo("smoke test input 'a' does not fit the model: datatype FP64, but the model expects FP32"));
            Assert.That(unknown, Is.EqualTo("smoke test input 'c' does not fit the model: it has no such input (its inputs: 'a', 'b')"));
            Assert.That(missing, Is.EqualTo("smoke test gives no input 'b', which the model needs"));
            Assert.That(tooFew, Is.EqualTo("smoke test input 'a' has 2 values but shape [1,3] needs 3"));
        });
    }

    [Test]
    public async Task RecordAsync_GeneratedInputsOnTheDemoModel_GivesATestThatPassesOnAFreshLoad()
    {
        var recorder = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        var inputs = SmokeTestRunner.GenerateInputs(recorder.Inputs);

        var test = await SmokeTestRunner.RecordAsync(recorder, inputs);
        var fresh = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");

        Assert.That(inputs.Single().Shape, Is.EqualTo(new long[] { 1, 4 }), "the dynamic batch dimension becomes 1");
        Assert.That(inputs.Single().Data.All(v => v >= -1 && v < 1 && v * 8 == Math.Floor(v * 8)), Is.True);
        Assert.That(SmokeTestRunner.GenerateInputs(recorder.Inputs).Single().Data, Is.EqualTo(inputs.Single().Data), "generation is seeded");
        Assert.That(test.Expected.Single().Name, Is.EqualTo("probabilities"));
        Assert.That(test.Expected.Single().Data.Sum(), Is.EqualTo(1).Within(1e-5));
        Assert.That(await SmokeTestRunner.RunAsync(fresh, test, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task RecordAsync_IntegerAndFloatOutputs_RoundTripThroughRunAsync()
    {
        var session = _sessions.Load(SyntheticModels.MultiIo().Bytes, "multi_io");

        var test = await SmokeTestRunner.RecordAsync(session, SmokeTestRunner.GenerateInputs(session.Inputs, seed: 7));

        Assert.That(test.Expected.Select(e => (e.Name, e.Datatype)), Is.EqualTo(new[] { ("sum", "FP32"), ("product", "FP32"), ("argmax", "INT64") }));
        Assert.That(await SmokeTestRunner.RunAsync(session, test, CancellationToken.None), Is.Null);
    }

    [Test]
    public void GenerateInputs_BytesInput_ThrowsNamingIt()
    {
        TensorMetadata[] inputs = [new("text", TensorDataType.Bytes, [-1])];

        var ex = Assert.Throws<ArgumentException>(() => SmokeTestRunner.GenerateInputs(inputs));

        Assert.That(ex!.Message, Does.Contain("input 'text' is BYTES"));
    }
}
