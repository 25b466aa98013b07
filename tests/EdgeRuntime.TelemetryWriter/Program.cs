using System.Globalization;
using EdgeRuntime.Device.Telemetry;

// Appends batches to the telemetry store at args[0] until killed, printing "committed <last sequence>" after each
// Append returns, so that a test can kill it mid-stream and check that every reported record survived.
//   dotnet EdgeRuntime.TelemetryWriter.dll <state.db> [batch size, default 100]
if (args.Length is < 1 or > 2)
{
    await Console.Error.WriteLineAsync("usage: EdgeRuntime.TelemetryWriter <state.db> [batch size]");
    return 2;
}

var batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
using var store = new TelemetryStore(args[0], maxBytes: long.MaxValue / 2, maxAge: TimeSpan.FromDays(365));
var kinds = Enum.GetValues<TelemetryKind>();
var batch = new TelemetryEntry[batchSize];
using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
for (var round = 0L; ; round++)
{
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (var i = 0; i < batch.Length; i++)
    {
        var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"round\":{round},\"index\":{i},\"latency_ms\":{(i * 0.37) + round:F2}}}");
        batch[i] = new TelemetryEntry(kinds[i % kinds.Length], "crash_test", "demo", "1", payload, now);
    }

    var last = store.Append(batch);
    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"committed {last}"));
}
