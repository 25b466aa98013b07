using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Tests.Inference;

/// <summary><see cref="TensorValues"/>: numbers in and out of every fixed-size datatype, and refusals of what a type cannot hold.</summary>
public sealed class TensorValuesTests
{
    private static IEnumerable<TensorDataType> FixedSizeTypes => Enum.GetValues<TensorDataType>().Where(t => t != TensorDataType.Bytes);

    [TestCaseSource(nameof(FixedSizeTypes))]
    public void TryEncode_ThenRead_GivesTheValuesBack(TensorDataType type)
    {
        double[] values = type == TensorDataType.Bool ? [0, 1, 1] : [0, 1, 3];

        Assert.That(TensorValues.TryEncode(values, type, out var bytes, out var problem), Is.True, problem);

        Assert.That(bytes, Has.Length.EqualTo(3 * type.ElementSize()));
        Assert.That(Enumerable.Range(0, 3).Select(i => TensorValues.Read(bytes, type, i)), Is.EqualTo(values));
    }

    [TestCase(TensorDataType.Int32, 1.5, "element 0 (1.5) does not fit INT32")]
    [TestCase(TensorDataType.UInt8, 256, "element 0 (256) does not fit UINT8")]
    [TestCase(TensorDataType.UInt8, -1, "element 0 (-1) does not fit UINT8")]
    [TestCase(TensorDataType.Bool, 2, "element 0 (2) does not fit BOOL")]
    [TestCase(TensorDataType.Fp16, 1e6, "element 0 (1000000) does not fit FP16")]
    [TestCase(TensorDataType.Int64, 9223372036854775808d, "element 0 (9.223372036854776E+18) does not fit INT64")]
    public void TryEncode_ValueTheTypeCannotHold_Refuses(TensorDataType type, double value, string problem)
    {
        Assert.That(TensorValues.TryEncode([value], type, out _, out var actual), Is.False);
        Assert.That(actual, Is.EqualTo(problem));
    }

    [TestCase(TensorDataType.Int64, 9007199254740993L, true)]
    [TestCase(TensorDataType.Int64, long.MinValue, true)]
    [TestCase(TensorDataType.UInt64, long.MaxValue, true)]
    [TestCase(TensorDataType.UInt64, -1L, false)]
    [TestCase(TensorDataType.Int32, 2147483648L, false)]
    [TestCase(TensorDataType.UInt8, 255L, true)]
    [TestCase(TensorDataType.Int8, -129L, false)]
    [TestCase(TensorDataType.Bool, 1L, true)]
    [TestCase(TensorDataType.Bool, 2L, false)]
    [TestCase(TensorDataType.Fp64, 9007199254740993L, true)]
    public void TryWriteInteger_WholeNumber_WrittenExactlyOrRefused(TensorDataType type, long value, bool fits)
    {
        var bytes = new byte[8];

        Assert.That(TensorValues.TryWriteInteger(bytes, type, value), Is.EqualTo(fits));
        if (fits && type == TensorDataType.Int64)
        {
            Assert.That(BitConverter.ToInt64(bytes), Is.EqualTo(value), "every digit, not the nearest double");
        }
        else if (fits && type != TensorDataType.Fp64)
        {
            Assert.That(TensorValues.Read(bytes, type, 0), Is.EqualTo((double)value));
        }
        else if (fits)
        {
            Assert.That(BitConverter.ToDouble(bytes), Is.EqualTo(9007199254740992d), "a double holds the nearest value it can");
        }
    }

    [Test]
    public void Format_Fp32_IsTheShortestTextOfTheFloat()
    {
        Assert.That(TensorValues.Format(0.71f, TensorDataType.Fp32), Is.EqualTo("0.71"));
        Assert.That(TensorValues.Format(0.71f), Is.Not.EqualTo("0.71"), "as a double the float is 0.70999997...");
    }
}
