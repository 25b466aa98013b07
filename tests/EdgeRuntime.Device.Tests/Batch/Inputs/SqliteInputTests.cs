using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using SQLite;
using static EdgeRuntime.Device.Tests.Batch.Inputs.InputFolder;

namespace EdgeRuntime.Device.Tests.Batch.Inputs;

/// <summary>A SQLite table as a batch input: rows by rowid, numeric columns as features, NULL and text as error rows.</summary>
public sealed class SqliteInputTests : InputFileTests
{
    private string _path = null!;

    [SetUp]
    public void CreateDatabase()
    {
        _path = Path.Combine(Folder.Path, "readings.db");
        using var db = new SQLiteConnection(_path);
        // A name with a space and quotes in it: identifiers must be quoted, never pasted into the SQL.
        const string table = "\"sensor \"\"readings\"\"\"";
        db.Execute($"CREATE TABLE {table} (id INTEGER PRIMARY KEY, device TEXT, temp REAL, \"pressure hPa\" DOUBLE, ok BIGINT, note TEXT)");
        db.Execute($"INSERT INTO {table} VALUES (3, 'dev-a', 1.5, 1000, 1, 'x'), (5, 'dev-b', NULL, 990, 0, 'y'), (8, NULL, 'warm', 980, 1, 'z'), (9, 'dev-d', 2.25, 970.5, 0, NULL)");
        db.Execute("CREATE TABLE other (a REAL)");
    }

    [Test]
    public void Read_Table_GivesRowsByRowidWithErrorsForNullAndText()
    {
        var options = new BatchInputOptions { Path = _path, Table = "SENSOR \"readings\"", KeyColumn = "device" };

        using var input = BatchInputs.Open(options, Input("x", TensorDataType.Fp32, -1, 3), null);
        var rows = ReadAll(input);

        Assert.That(input.Format, Is.EqualTo("sqlite"));
        Assert.That(input.Count, Is.EqualTo(4));
        Assert.That(rows.Select(r => r.Index), Is.EqualTo(new long[] { 3, 5, 8, 9 }), "the index is the rowid");
        Assert.That(rows.Select(r => r.Key), Is.EqualTo(new[] { "dev-a", "dev-b", "8", "dev-d" }));
        Assert.That(rows[0].Shapes[0], Is.EqualTo(new long[] { 1, 3 }));
        Assert.That(rows[0].Floats, Is.EqualTo(new[] { 1.5f, 1000, 1 }), "temp, pressure, ok: numeric types, not the primary key");
        Assert.That(rows[1].Error, Is.EqualTo("rowid 5, column 'temp': NULL is not a number"));
        Assert.That(rows[2].Error, Is.EqualTo("rowid 8, column 'temp': 'warm' is not a number"));
        Assert.That(rows[3].Floats, Is.EqualTo(new[] { 2.25f, 970.5f, 0 }));
    }

    [Test]
    public void Read_FromAnIndex_ReadsRowidsFromThere()
    {
        var options = new BatchInputOptions { Path = _path, Table = "sensor \"readings\"", Columns = ["pressure hPa"] };

        var rows = ReadAll(_path, Input("x", TensorDataType.Int64, -1, 1), fromIndex: 6, options: options);

        Assert.That(rows.Select(r => (r.Index, r.Key)), Is.EqualTo(new[] { (8L, "8"), (9L, "9") }));
        Assert.That(rows[0].Data[0], Is.EqualTo(BitConverter.GetBytes(980L)));
        Assert.That(rows[1].Error, Is.EqualTo("rowid 9, column 'pressure hPa': 970.5 does not fit the model's input 'x' (INT64)"));
    }

    [Test]
    public void Read_RowsAppendedLater_KeepTheEarlierIndexes()
    {
        var options = new BatchInputOptions { Path = _path, Table = "other" };
        using (var db = new SQLiteConnection(_path))
        {
            db.Execute("INSERT INTO other VALUES (1), (2)");
        }

        var before = ReadAll(_path, Input("x", TensorDataType.Fp32, -1), options: options);
        using (var db = new SQLiteConnection(_path))
        {
            db.Execute("INSERT INTO other VALUES (3)");
        }

        var after = ReadAll(_path, Input("x", TensorDataType.Fp32, -1), options: options);

        Assert.That(after.Take(2).Select(r => (r.Index, r.Floats[0])), Is.EqualTo(before.Select(r => (r.Index, r.Floats[0]))));
        Assert.That(after[2].Index, Is.EqualTo(3));
    }

    [Test]
    public void Open_ReadOnly_LeavesTheDatabaseUnchanged()
    {
        var bytes = File.ReadAllBytes(_path);

        using (var input = BatchInputs.Open(new BatchInputOptions { Path = _path, Table = "other" }, Input("x", TensorDataType.Fp32, -1), null))
        {
            _ = ReadAll(input);
        }

        Assert.That(File.ReadAllBytes(_path), Is.EqualTo(bytes));
        Assert.That(File.Exists(_path + "-journal") || File.Exists(_path + "-wal"), Is.False);
    }

    [TestCase(null, null, "name the table to read; its tables are 'other', 'sensor \"readings\"'")]
    [TestCase("missing", null, "no table 'missing'; its tables are 'other', 'sensor \"readings\"'")]
    [TestCase("other", "nope", "table 'other' has no column 'nope'; its columns are 'a'")]
    public void Open_MissingTableOrColumn_ThrowsListingWhatThereIs(string? table, string? column, string reason)
    {
        var options = new BatchInputOptions { Path = _path, Table = table, Columns = column is null ? null : [column] };

        Assert.That(
            () => BatchInputs.Open(options, Input("x", TensorDataType.Fp32, -1), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains(reason));
    }

    [Test]
    public void Open_NotADatabase_Throws()
    {
        var path = Folder.Write("junk.sqlite", "this is not a database, but long enough to have a header: ..........................................................................................");

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path, Table = "t" }, Input("x", TensorDataType.Fp32, -1), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("not a database"));
    }
}
