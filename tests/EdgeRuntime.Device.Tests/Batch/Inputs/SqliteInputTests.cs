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
    public void Fingerprint_RowsAppended_StaysTheSame()
    {
        var options = new BatchInputOptions { Path = _path, Table = "sensor \"readings\"", Columns = ["temp"] };
        var before = FingerprintOf(options);
        using (var db = new SQLiteConnection(_path))
        {
            db.Execute("INSERT INTO \"sensor \"\"readings\"\"\" VALUES (12, 'dev-e', 3.5, 960, 1, 'w')");
        }

        Assert.That(FingerprintOf(options), Is.EqualTo(before), "a table that grows between runs resumes");
    }

    [TestCase("UPDATE other SET a = 7 WHERE rowid = 1", TestName = "Fingerprint_FirstRowChanged_Changes")]
    [TestCase("DELETE FROM other WHERE rowid = 1", TestName = "Fingerprint_FirstRowDeleted_Changes")]
    [TestCase("ALTER TABLE other ADD COLUMN b REAL", TestName = "Fingerprint_SchemaChanged_Changes")]
    [TestCase("DROP TABLE other; CREATE TABLE x (a REAL); CREATE TABLE other (a REAL); INSERT INTO other VALUES (1), (2)", TestName = "Fingerprint_TableCreatedAgainWithTheSameRows_Changes")]
    public void Fingerprint_TableNoLongerTheOneTheJobStartedOn_Changes(string change)
    {
        var options = new BatchInputOptions { Path = _path, Table = "other" };
        using (var db = new SQLiteConnection(_path))
        {
            db.Execute("INSERT INTO other VALUES (1), (2)");
        }

        var before = FingerprintOf(options);
        using (var db = new SQLiteConnection(_path))
        {
            foreach (var statement in change.Split("; "))
            {
                db.Execute(statement);
            }
        }

        Assert.That(FingerprintOf(options), Is.Not.EqualTo(before));
    }

    [Test]
    public void Fingerprint_FileReplacedByAnotherExportWithTheSameSchema_Changes()
    {
        var path = Path.Combine(Folder.Path, "nightly.db");
        Export(path, "(1.0, 2.0), (5.0, 6.0)");
        var options = new BatchInputOptions { Path = path, Table = "t" };
        var before = FingerprintOf(options);
        Export(path, "(1.0, 2.0), (5.0, 6.0), (7.0, 8.0)");
        var appended = FingerprintOf(options);

        File.Delete(path);
        Export(path, "(9.0, 9.0), (5.0, 6.0)");

        Assert.That(appended, Is.EqualTo(before), "the same first row and schema: rows were only appended");
        Assert.That(FingerprintOf(options), Is.Not.EqualTo(before), "same schema, same rowids, other values");

        static void Export(string path, string values)
        {
            using var db = new SQLiteConnection(path);
            db.Execute("CREATE TABLE IF NOT EXISTS t (a REAL, b REAL)");
            db.Execute("DELETE FROM t");
            db.Execute($"INSERT INTO t VALUES {values}");
        }
    }

    [Test]
    public void Read_NumbersStoredAsText_AreNumbersAndTheirColumnsFeatures()
    {
        // What `sqlite3 .import` makes of a CSV: every column TEXT.
        var path = Path.Combine(Folder.Path, "imported.db");
        using (var db = new SQLiteConnection(path))
        {
            db.Execute("CREATE TABLE t (id TEXT, temp TEXT, pressure TEXT, label TEXT)");
            db.Execute("INSERT INTO t VALUES ('a1', '1.5', '-2e3', 'x'), ('a2', ' 4 ', 'abc', '5'), ('a3', '1e40', '0', 'z')");
        }

        var options = new BatchInputOptions { Path = path, Table = "t", KeyColumn = "id" };
        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1, 2), options: options);

        Assert.That(rows[0].Error, Is.Null, "temp and pressure hold numbers in the first row; id is the key, label holds text");
        Assert.That(rows[0].Floats, Is.EqualTo(new[] { 1.5f, -2000 }));
        Assert.That(rows[1].Error, Is.EqualTo("rowid 2, column 'pressure': 'abc' is not a number"));
        Assert.That(rows[2].Error, Is.EqualTo("rowid 3, column 'temp': 1e40 does not fit the model's input 'x' (FP32)"));
    }

    [Test]
    public void Open_NoNumericTypeAndNoNumberInTheFirstRow_ThrowsSayingToNameTheColumns()
    {
        var path = Path.Combine(Folder.Path, "text.db");
        using (var db = new SQLiteConnection(path))
        {
            db.Execute("CREATE TABLE t (a TEXT, b)");
            db.Execute("INSERT INTO t VALUES ('x', NULL), ('1', 2)");
        }

        Assert.That(
            () => BatchInputs.Open(new BatchInputOptions { Path = path, Table = "t" }, Input("x", TensorDataType.Fp32, -1), null),
            Throws.InstanceOf<BatchInputException>().With.Message.Contains("or with a number in its first row besides the key; name the feature columns"));
    }

    [Test]
    public void Read_Int64BeyondTwoToThe53_KeepsEveryDigit()
    {
        // 2^53 + 1 is the first integer a double cannot hold; through double it became 2^53.
        const long id = 9007199254740993;
        var path = Path.Combine(Folder.Path, "ids.db");
        using (var db = new SQLiteConnection(path))
        {
            db.Execute("CREATE TABLE t (stored INTEGER, text TEXT, big INTEGER)");
            db.Execute($"INSERT INTO t VALUES ({id}, '{id}', {long.MaxValue}), (-{id}, '-{id}', 1)");
        }

        var options = new BatchInputOptions { Path = path, Table = "t" };
        var rows = ReadAll(path, Input("x", TensorDataType.Int64, -1, 3), options: options);
        var narrow = ReadAll(path, Input("x", TensorDataType.Int32, -1, 3), options: options);

        Assert.That(rows.Select(r => r.Error), Has.All.Null);
        Assert.That(Longs(rows[0].Data[0]), Is.EqualTo(new[] { id, id, long.MaxValue }));
        Assert.That(Longs(rows[1].Data[0]), Is.EqualTo(new[] { -id, -id, 1 }));
        Assert.That(narrow[0].Error, Is.EqualTo($"rowid 1, column 'stored': {id} does not fit the model's input 'x' (INT32)"));
    }

    [Test]
    public void Read_ManyChunks_GivesEveryRowOnceInRowidOrder()
    {
        var path = Path.Combine(Folder.Path, "many.db");
        using (var db = new SQLiteConnection(path))
        {
            db.Execute("CREATE TABLE t (a REAL)");
            db.RunInTransaction(() =>
            {
                for (var i = 1; i <= 2500; i++)
                {
                    // Gaps in the rowids: chunks follow the rowids, not a row count.
                    db.Execute("INSERT INTO t (rowid, a) VALUES (?, ?)", i * 3, i);
                }
            });
        }

        var options = new BatchInputOptions { Path = path, Table = "t" };
        var rows = ReadAll(path, Input("x", TensorDataType.Fp32, -1), options: options);
        var resumed = ReadAll(path, Input("x", TensorDataType.Fp32, -1), fromIndex: 3001, options: options);

        Assert.That(rows.Select(r => r.Index), Is.EqualTo(Enumerable.Range(1, 2500).Select(i => i * 3L)));
        Assert.That(rows.Select(r => r.Floats[0]), Is.EqualTo(Enumerable.Range(1, 2500).Select(i => (float)i)));
        Assert.That(resumed.Select(r => r.Index), Is.EqualTo(Enumerable.Range(1001, 1500).Select(i => i * 3L)));
    }

    [Test]
    public void Read_ProducerWritesInWalMode_CheckpointsWhileTheJobIsBetweenRows()
    {
        var path = Path.Combine(Folder.Path, "live.db");
        using var producer = new SQLiteConnection(path);
        Assert.That(producer.ExecuteScalar<string>("PRAGMA journal_mode = WAL"), Is.EqualTo("wal"));
        producer.Execute("CREATE TABLE t (a REAL)");
        producer.RunInTransaction(() =>
        {
            for (var i = 0; i < 2500; i++)
            {
                producer.Execute("INSERT INTO t VALUES (?)", i);
            }
        });

        using var input = BatchInputs.Open(new BatchInputOptions { Path = path, Table = "t" }, Input("x", TensorDataType.Fp32, -1), null);
        var read = 0;
        foreach (var row in input.Read(0, CancellationToken.None))
        {
            using (row)
            {
                read++;
                if (read is 1 or 1200)
                {
                    // The job holds a row (in the first chunk, then in the second): the producer appends and checkpoints
                    // its WAL back to nothing, which a reader still inside a read transaction would block.
                    producer.Execute("INSERT INTO t VALUES (?)", -read);
                    var (busy, log) = Checkpoint(producer);
                    Assert.That((busy, log), Is.EqualTo((0, 0)), $"checkpoint after {read} rows");
                }
            }
        }

        Assert.That(read, Is.EqualTo(2502), "the rows appended while the job ran are read too");
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

    private static string FingerprintOf(BatchInputOptions options)
    {
        using var input = BatchInputs.Open(options, Input("x", TensorDataType.Fp32, -1, -1), null);
        return input.Fingerprint;
    }

    private static long[] Longs(byte[] data) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray();

    /// <summary>Runs a truncating checkpoint: busy is 1 when a reader kept it from finishing, log the WAL frames left.</summary>
    private static (int Busy, int Log) Checkpoint(SQLiteConnection db)
    {
        var statement = SQLite3.Prepare2(db.Handle, "PRAGMA wal_checkpoint(TRUNCATE)");
        try
        {
            Assert.That(SQLite3.Step(statement), Is.EqualTo(SQLite3.Result.Row));
            return (SQLite3.ColumnInt(statement, 0), SQLite3.ColumnInt(statement, 1));
        }
        finally
        {
            SQLite3.Finalize(statement);
        }
    }
}
