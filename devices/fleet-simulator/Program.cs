using EdgeRuntime.FleetSimulator;
using Microsoft.Extensions.Logging;

// fleet-sim: load-tests a hub with virtual devices running the device's real sync agent.
//   fleet-sim fleet --hub http://127.0.0.1:8090 --token T --broker 127.0.0.1:1883 --devices 5000 --duration 60
//   fleet-sim drain --hub http://127.0.0.1:8090 --token T --broker 127.0.0.1:1883 --records 1000000
SimulatorArguments parsed;
try
{
    parsed = SimulatorArguments.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return parsed.Verb switch
{
    "fleet" => await FleetRun.RunAsync(parsed, loggers, stop.Token),
    "drain" => await DrainRun.RunAsync(parsed, loggers, stop.Token),
    _ => Usage(parsed.Verb),
};

static int Usage(string verb)
{
    Console.Error.WriteLine($"unknown verb '{verb}': use fleet or drain");
    return 2;
}
