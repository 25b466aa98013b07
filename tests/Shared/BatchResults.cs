using System.Globalization;
using SQLite;

namespace EdgeRuntime.Tests.Shared;

/// <summary>
/// Reads a batch job's results, errors and checkpoint back from its SQLite file, as a user would with SQL: read-only,
/// so it can watch a job another process is writing. Compiled into each test project that runs batch jobs.
/// </summary>
internal static class BatchResults
{
    public static List<ResultRow> Results(string path)
    {
        using var db = new SQLiteConnection(path, SQLiteOpenFlags.ReadOnly);
        return db.Query<ResultRow>("SELECT idx AS Idx, key AS Key, output AS Output, datatype AS Datatype, shape AS Shape, data AS Data, value AS Value FROM results ORDER BY idx, output");
    }

    public static List<ErrorRow> Errors(string path)
    {
        using var db = new SQLiteConnection(path, SQLiteOpenFlags.ReadOnly);
        return db.Query<ErrorRow>("SELECT idx AS Idx, key AS Key, error AS Message FROM errors ORDER BY idx");
    }

    public static Dictionary<string, string?> Job(string path)
    {
        using var db = new SQLiteConnection(path, SQLiteOpenFlags.ReadOnly);
        return db.Query<JobValue>("SELECT name AS Name, value AS Value FROM job").ToDictionary(v => v.Name, v => v.Value);
    }

    /// <summary>The job's checkpoint: every row below it has its result or error. 0 while the job database does not exist yet.</summary>
    public static long NextIndex(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        try
        {
            return Job(path).GetValueOrDefault("next_index") is { } text ? long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        }
        catch (SQLiteException)
        {
            // Still being created by the job.
            return 0;
        }
    }

    /// <summary>
    /// How many result and error rows there are, over how many distinct indexes, and the lowest and highest (-1 for none):
    /// a job that wrote each of n rows exactly once gives (n, n, 0, n - 1).
    /// </summary>
    public static (long Rows, long Distinct, long Min, long Max) Coverage(string path, bool withResults = true)
    {
        using var db = new SQLiteConnection(path, SQLiteOpenFlags.ReadOnly);
        var union = withResults ? "SELECT idx FROM results UNION ALL SELECT idx FROM errors" : "SELECT idx FROM errors";
        return (
            db.ExecuteScalar<long>($"SELECT count(*) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT count(DISTINCT idx) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT coalesce(min(idx), -1) FROM ({union})"),
            db.ExecuteScalar<long>($"SELECT coalesce(max(idx), -1) FROM ({union})"));
    }

    /// <summary>A <c>results</c> row.</summary>
    public sealed class ResultRow
    {
        public long Idx { get; set; }

        public string Key { get; set; } = "";

        public string Output { get; set; } = "";

        public string Datatype { get; set; } = "";

        public string Shape { get; set; } = "";

        public byte[] Data { get; set; } = [];

        public string? Value { get; set; }
    }

    /// <summary>An <c>errors</c> row.</summary>
    public sealed class ErrorRow
    {
        public long Idx { get; set; }

        public string Key { get; set; } = "";

        public string Message { get; set; } = "";
    }

    /// <summary>A <c>job</c> row.</summary>
    public sealed class JobValue
    {
        public string Name { get; set; } = "";

        public string? Value { get; set; }
    }
}
