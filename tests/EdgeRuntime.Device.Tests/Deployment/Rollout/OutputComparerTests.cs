using System.Runtime.InteropServices;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Tests.Serving;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>How a candidate's answer is compared with the stable one: tolerance, differences, top-1, and what cannot agree.</summary>
public sealed class OutputComparerTests
{
    /// <summary>Differences within the tolerance agree; the largest and the mean difference are measured over every element.</summary>
    [Test]
    public void Compare_WithinTolerance_AgreesAndMeasuresTheDifferences()
    {
        var stable = Floats("y", [2, 2], 0.1f, 0.9f, 0.6f, 0.4f);
        var candidate = Floats("y", [2, 2], 0.1f, 0.9005f, 0.6f, 0.3998f);

        var comparison = OutputComparer.Compare([stable], [candidate], 1e-3);

        Assert.That(comparison.Agrees, Is.True);
        Assert.That(comparison.Elements, Is.EqualTo(4));
        Assert.That(comparison.MaxAbsDiff, Is.EqualTo(0.0005).Within(1e-6));
        Assert.That(comparison.SumAbsDiff / comparison.Elements, Is.EqualTo(0.0007 / 4).Within(1e-6));
        Assert.That((comparison.Top1Rows, comparison.Top1Agreeing), Is.EqualTo((2L, 2L)));
    }

    /// <summary>One element past the tolerance is a disagreement, even where every row's top-1 class still matches.</summary>
    [Test]
    public void Compare_OneElementPastTolerance_DisagreesButTopOneMayAgree()
    {
        var stable = Floats("y", [2, 3], 0.2f, 0.7f, 0.1f, 0.5f, 0.3f, 0.2f);
        var candidate = Floats("y", [2, 3], 0.2f, 0.6f, 0.2f, 0.3f, 0.5f, 0.2f);

        var comparison = OutputComparer.Compare([stable], [candidate], 1e-3);

        Assert.That(comparison.Agrees, Is.False);
        Assert.That(comparison.MaxAbsDiff, Is.EqualTo(0.2).Within(1e-6));
        Assert.That((comparison.Top1Rows, comparison.Top1Agreeing), Is.EqualTo((2L, 1L)), "row 0 keeps class 1, row 1 moves from class 0 to 1");
    }

    /// <summary>A missing output, another shape or another datatype cannot agree.</summary>
    [Test]
    public void Compare_MissingOrReshapedOrRetypedOutput_Disagrees()
    {
        var stable = Floats("y", [1, 2], 1, 2);

        Assert.That(OutputComparer.Compare([stable], [Floats("other", [1, 2], 1, 2)], 1).Agrees, Is.False);
        Assert.That(OutputComparer.Compare([stable], [Floats("y", [2, 1], 1, 2)], 1).Agrees, Is.False);
        Assert.That(OutputComparer.Compare([stable], [new InferenceTensor("y", TensorDataType.Int32, [1, 2], MemoryMarshal.AsBytes<int>([1, 2]).ToArray())], 1).Agrees, Is.False);
        Assert.That(OutputComparer.Compare([stable], [Floats("y", [1, 2], 1, 2)], 0).Agrees, Is.True);
    }

    /// <summary>A NaN on one side never agrees and stays out of the averages; NaN on both sides is the same answer.</summary>
    [Test]
    public void Compare_NaN_OnlyOneSideDisagrees()
    {
        var bothNaN = OutputComparer.Compare([Floats("y", [2], float.NaN, 1)], [Floats("y", [2], float.NaN, 1)], 1e-3);
        var oneNaN = OutputComparer.Compare([Floats("y", [2], float.NaN, 1)], [Floats("y", [2], 0, 1)], 1e-3);

        Assert.That(bothNaN.Agrees, Is.True);
        Assert.That(oneNaN.Agrees, Is.False);
        Assert.That((oneNaN.Elements, oneNaN.MaxAbsDiff), Is.EqualTo((1L, 0.0)));
    }

    /// <summary>Integer outputs are compared by value; outputs that are not [rows, classes] floats have no top-1.</summary>
    [Test]
    public void Compare_IntegerOutput_ComparedByValueWithoutTopOne()
    {
        var stable = new InferenceTensor("label", TensorDataType.Int64, [3], MemoryMarshal.AsBytes<long>([2, 0, 5]).ToArray());
        var candidate = new InferenceTensor("label", TensorDataType.Int64, [3], MemoryMarshal.AsBytes<long>([2, 1, 5]).ToArray());

        var comparison = OutputComparer.Compare([stable], [candidate], 0.5);

        Assert.That(comparison.Agrees, Is.False);
        Assert.That(comparison.MaxAbsDiff, Is.EqualTo(1));
        Assert.That(comparison.Top1Rows, Is.Zero);
    }

    private static InferenceTensor Floats(string name, long[] shape, params float[] values) => TestSessions.FloatTensor(name, values, shape);
}
