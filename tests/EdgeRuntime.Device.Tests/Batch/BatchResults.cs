using SQLite;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>Reads a job's results, errors and checkpoint back from its SQLite file, as a user would with SQL.</summary>
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
