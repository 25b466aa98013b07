using BenchmarkDotNet.Running;
using EdgeRuntime.Benchmarks;
using EdgeRuntime.Benchmarks.Load;
using EdgeRuntime.Benchmarks.Telemetry;

// BenchmarkDotNet benchmarks of the codecs and the in-process pipeline (with allocations):
//   dotnet run -c Release --project tests/EdgeRuntime.Benchmarks -- --filter '*'
// and the pieces of the load benchmark, tests/bench/run.sh:
//   prepare | noop-server | raw-run | report, and start-to-ready;
// batch-data, the batch-job benchmark's model and rows;
// and the telemetry store's write and read-for-upload rates: store [--records 1000000].
var command = args.Length > 0 ? args[0] : "";
var rest = args.Length > 0 ? args[1..] : [];
try
{
    return command switch
    {
        "prepare" => LoadPreparation.Run(CommandArguments.Parse(rest)),
        "batch-data" => BatchData.Run(CommandArguments.Parse(rest)),
        "noop-server" => await NoopServer.RunAsync(rest),
        "raw-run" => RawRun.Run(CommandArguments.Parse(rest)),
        "report" => LoadReport.Run(CommandArguments.Parse(rest)),
        "start-to-ready" => await StartToReady.RunAsync(CommandArguments.Parse(rest)),
        "store" => StoreThroughput.Run(CommandArguments.Parse(rest)),
        _ => RunBenchmarkDotNet(args),
    };
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"{command}: {ex.Message}");
    return 2;
}

static int RunBenchmarkDotNet(string[] args)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(InProcessConfig).Assembly).Run(args, new InProcessConfig());
    return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
}
