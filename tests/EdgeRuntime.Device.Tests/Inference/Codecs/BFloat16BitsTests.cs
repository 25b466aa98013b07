using System.Text;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Tests.Inference.Codecs;

public sealed class BFloat16BitsTests
{
    [TestCase(1.0, (ushort)0x3F80)]
    [TestCase(-2.0, (ushort)0xC000)]
    [TestCase(1.00390625, (ushort)0x3F80)] // exactly halfway between 1 and the next bfloat16: ties to even
    [TestCase(1.01171875, (ushort)0x3F82)] // halfway between 0x3F81 and 0x3F82: ties to even
    [TestCase(1.0039062500001, (ushort)0x3F81)] // just above halfway, though it rounds to the halfway float
    [TestCase(double.PositiveInfinity, (ushort)0x7F80)]
    [TestCase(1e39, (ushort)0x7F80)]
    [TestCase(-0.0, (ushort)0x8000)]
    public void FromDouble_Value_RoundsToNearestEven(double value, ushort expected)
    {
        Assert.That(BFloat16Bits.FromDouble(value), Is.EqualTo(expected));
    }

    [TestCase((ushort)0x3DCD, "0.1")]
    [TestCase((ushort)0x3F00, "0.5")]
    [TestCase((ushort)0x7F7F, "3.39E+38")]
    [TestCase((ushort)0x8000, "-0")]
    public void FormatShortest_Value_WritesShortestTextThatReadsBack(ushort bits, string expected)
    {
        Span<byte> text = stackalloc byte[32];

        var written = BFloat16Bits.FormatShortest(bits, text);

        Assert.That(Encoding.ASCII.GetString(text[..written]), Is.EqualTo(expected));
    }
}
