using System.Globalization;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// Conversions for bfloat16 (the top 16 bits of an IEEE single), which the BCL has no type for: correctly
/// rounded parsing and the shortest decimal text that reads back as the same value.
/// </summary>
internal static class BFloat16Bits
{
    private static readonly string[] Precisions = ["G1", "G2", "G3", "G4", "G5", "G6", "G7", "G8", "G9"];

    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static bool IsFinite(ushort bits) => (bits & 0x7F80) != 0x7F80;

    /// <summary>Rounds a double to the nearest bfloat16, ties to even; overflow gives infinity.</summary>
    public static ushort FromDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return (ushort)(double.IsNegative(value) ? 0xFFC0 : 0x7FC0);
        }

        // Rounding to float first and then to bfloat16 could round twice; rounding the float step to odd
        // keeps the final ties-to-even step exact, because a float carries more than two extra bits.
        var single = (float)value;
        var bits = BitConverter.SingleToUInt32Bits(single);
        if (float.IsFinite(single) && (double)single != value && (bits & 1) == 0)
        {
            bits = Math.Abs((double)single) < Math.Abs(value) ? bits + 1 : bits - 1;
        }

        if ((bits & 0x7F800000) == 0x7F800000)
        {
            return (ushort)(bits >> 16);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>Writes the shortest decimal that parses back to the same finite bfloat16; returns the bytes written.</summary>
    public static int FormatShortest(ushort bits, Span<byte> utf8Destination)
    {
        var single = ToSingle(bits);
        var written = 0;
        foreach (var precision in Precisions)
        {
            if (single.TryFormat(utf8Destination, out written, precision, CultureInfo.InvariantCulture)
                && double.TryParse(utf8Destination[..written], NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                && FromDouble(parsed) == bits)
            {
                return written;
            }
        }

        // G9 always reads back as the same single, so the loop has returned; this keeps the compiler content.
        return written;
    }
}
