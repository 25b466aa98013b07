using System.Globalization;
using System.Text;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// One line of a CSV file, as batch inputs and <c>edge-runtime baseline</c> read them: comma-separated fields, each
/// optionally double-quoted with <c>""</c> for a quote inside, surrounding spaces trimmed. A quoted field cannot span
/// lines. Numbers are invariant-culture decimals (<c>1.5</c>, <c>-2e3</c>).
/// </summary>
internal static class CsvLine
{
    /// <summary>The fields of <paramref name="line"/>.</summary>
    public static string[] Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString().Trim());
        return [.. fields];
    }

    /// <summary>Parses a field as a number, in the invariant culture.</summary>
    public static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Writes the number <paramref name="text"/> holds (see <see cref="TryParseNumber"/>) as one element of
    /// <paramref name="type"/>. Whole-number text goes straight into an integer type, so an INT64 id beyond 2^53 keeps its
    /// last digits; everything else goes through double, as <see cref="TensorValues.TryWriteData"/> takes it. False when
    /// the text is no number (<paramref name="isNumber"/> false) or one the type cannot hold.
    /// </summary>
    public static bool TryWriteNumber(string text, Span<byte> at, TensorDataType type, out bool isNumber)
    {
        if (TensorValues.IsInteger(type) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
        {
            isNumber = true;
            return TensorValues.TryWriteInteger(at, type, whole);
        }

        isNumber = TryParseNumber(text, out var value);
        return isNumber && TensorValues.TryWriteData(at, type, value);
    }
}
