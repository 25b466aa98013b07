using EdgeRuntime.Device.Telemetry;
using SQLite;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The prepared-statement wrapper on a real SQLite file: span binds copy their bytes, and empty is not NULL.</summary>
[TestFixture]
public sealed class SqliteStatementTests
{
    /// <summary>Empty text and blobs bound from spans stay empty, not NULL, and the bound bytes are copied.</summary>
    [Test]
    public void BindTextAndBlob_EmptySpans_AreEmptyNotNull()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edge-statement-{Guid.NewGuid():N}.db");
        try
        {
            using var connection = new SQLiteConnection(path);
            connection.Execute("CREATE TABLE t (name TEXT NOT NULL, data BLOB NOT NULL)");
            byte[] buffer = [.. "key"u8, 1, 2, 3];
            using (var insert = new SqliteStatement(connection, "INSERT INTO t (name, data) VALUES (?1, ?2)"))
            {
                insert.BindText(1, []).BindBlob(2, []).Run();
                insert.BindText(1, buffer.AsSpan(0, 3)).BindBlob(2, buffer.AsSpan(3)).Run();
            }

            // The buffer changes after the binds: SQLite kept its own copy.
            buffer.AsSpan().Clear();
            var rows = connection.Query<Row>("SELECT name AS Name, hex(data) AS Data, typeof(data) AS Type FROM t ORDER BY rowid");
            Assert.That(rows.Select(r => (r.Name, r.Data, r.Type)), Is.EqualTo(new[] { ("", "", "blob"), ("key", "010203", "blob") }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Row
    {
        public string Name { get; set; } = "";

        public string Data { get; set; } = "";

        public string Type { get; set; } = "";
    }
}
