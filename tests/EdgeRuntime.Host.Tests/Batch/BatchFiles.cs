using System.Globalization;
using System.Text;
using SQLite;

namespace EdgeRuntime.Host.Tests.Batch;

/// <summary>
/// Batch job inputs the tests write (sensor readings as CSV, four features per row, for the demo model) and the job
/// databases they read back, opened read-only as another process would while the job writes.
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

    /// <summary>The job's checkpoint: every row below it has its result or error. 0 before the job database exists.</summary>
    public static long NextIndex(string jobDatabase)
    {
        if (!File.Exists(jobDatabase))
        {
            return 0;
        }

        try
        {
            using var db = OpenReadOnly(jobDatabase);
            return long.TryParse(db.ExecuteScalar<string>("SELECT value FROM job WHERE name = 'next_index'"), NumberStyles.None, CultureInfo.InvariantCulture, out var next) ? next : 0;
        }
        catch (SQLiteException)
        {
            // Still being created by the job.
            return 0;
        }
    }

    public static List<ResultRow> Results(string database)
    {
        using var db = OpenReadOnly(database);
        return db.Query<ResultRow>("SELECT idx, key, output, datatype, shape, data, value FROM results ORDER BY idx, output");
    }

    public static List<ErrorRow> Errors(string database)
    {
        using var db = OpenReadOnly(database);
        return db.Query<ErrorRow>("SELECT idx, key, error FROM errors ORDER BY idx");
    }

    /// <summary>How many result and error rows there are, and over how many distinct indexes, from the lowest to the highest.</summary>
    public static (long Rows, long Distinct, long Min, long Max) Coverage(string database, bool withResults = true)
    {
        using var db = OpenReadOnly(database);
        var union = withResults ? "SELECT idx FROM results UNION ALL SELECT idx FROM errors" : "SELECT idx FROM errors";
        return (
            db.ExecuteScalar<long>($"SELECT count(*) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT count(DISTINCT idx) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT coalesce(min(idx), -1) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT coalesce(max(idx), -1) FROM ({union})"));
    }

    /// <summary>The floats of a result's <c>data</c> (little-endian FP32, as ONNX Runtime gave them).</summary>
    public static float[] Floats(byte[] data)
    {
        var values = new float[data.Length / 4];
        Buffer.BlockCopy(data, 0, values, 0, values.Length * 4);
        return values;
    }

    private static SQLiteConnection OpenReadOnly(string path) =>
        new(new SQLiteConnectionString(path, SQLiteOpenFlags.ReadOnly | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: true));

    /// <summary>A row of the <c>results</c> table.</summary>
    internal sealed class ResultRow
    {
        public long Idx { get; set; }

        public string Key { get; set; } = "";

        public string Output { get; set; } = "";

        public string Datatype { get; set; } = "";

        public string Shape { get; set; } = "";

        public byte[] Data { get; set; } = [];

        public string? Value { get; set; }
    }

    /// <summary>A row of the <c>errors</c> table.</summary>
    internal sealed class ErrorRow
    {
        public long Idx { get; set; }

        public string Key { get; set; } = "";

        public string Error { get; set; } = "";
    }
}
