using System.Globalization;
using System.Text;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// Batch job inputs the tests write: sensor readings as CSV, four features per row, for the demo model. Results are
/// read back with <c>BatchResults</c>.
/// </summary>
internal static class BatchFiles
{
    public const string Header = "id,r1,r2,r3,r4";

    /// <summary>The four readings of data row <paramref name="row"/>: deterministic and varied, so the three classes all occur.</summary>
    public static float[] Reading(int row)
    {
        var trend = (row % 3) - 1;
        var start = (row % 11) / 2f;
        return [start, start + trend * 0.5f, start + trend * 1.25f, start + trend * 2f + (row % 5) / 10f];
    }

    /// <summary>
    /// Writes <paramref name="rows"/> data rows after the header, ids <c>r0</c>, <c>r1</c>, …; the rows in
    /// <paramref name="malformed"/> are broken (by turns a missing field and a word where a number belongs).
    /// </summary>
    public static void WriteReadings(string path, int rows, IReadOnlyCollection<int>? malformed = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder(rows * 32).Append(Header).Append('\n');
        var broken = 0;
        for (var row = 0; row < rows; row++)
        {
            var values = Reading(row).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
            if (malformed?.Contains(row) == true)
            {
                values = broken++ % 2 == 0 ? values[..3] : [values[0], "abc", values[2], values[3]];
            }

            text.Append('r').Append(row).Append(',').AppendJoin(',', values).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The 1-based line of data row <paramref name="row"/> in a file <see cref="WriteReadings"/> wrote (the header is line 1).</summary>
    public static int LineOf(int row) => row + 2;

    /// <summary>The floats of a result's <c>data</c> (little-endian FP32, as ONNX Runtime gave them).</summary>
    public static float[] Floats(byte[] data)
    {
        var values = new float[data.Length / 4];
        Buffer.BlockCopy(data, 0, values, 0, values.Length * 4);
        return values;
    }
}
