using System.Globalization;

namespace EdgeRuntime.FleetSimulator;

/// <summary>The command line: a verb (<c>fleet</c> or <c>drain</c>) and <c>--name value</c> options.</summary>
internal sealed class SimulatorArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    private SimulatorArguments(string verb)
    {
        Verb = verb;
    }

    public string Verb { get; }

    public static SimulatorArguments Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("usage: fleet-sim fleet|drain --hub URL --token T --broker HOST:PORT [options]");
        }

        var parsed = new SimulatorArguments(args[0]);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected '--name value', got '{args[i]}'");
            }

            parsed._options[args[i][2..]] = args[++i];
        }

        return parsed;
    }

    public string Text(string name, string? fallback = null) =>
        _options.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        _options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public (string Host, int Port) Broker()
    {
        var text = Text("broker", "127.0.0.1:1883");
        var colon = text.LastIndexOf(':');
        return (text[..colon], int.Parse(text[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
