using System.Globalization;

namespace EdgeRuntime.Benchmarks;

/// <summary>The <c>--name value</c> options of a subcommand.</summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string> _values;

    private CommandArguments(Dictionary<string, string> values)
    {
        _values = values;
    }

    public static CommandArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
            {
                throw new ArgumentException($"expected '--name value', got '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        return new CommandArguments(values);
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Required(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required");

    public double Number(string name, double fallback) =>
        Get(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A comma-separated shape such as <c>1,3,320,320</c>.</summary>
    public long[] Shape(string name) =>
        [.. Required(name).Split(',').Select(d => long.Parse(d, CultureInfo.InvariantCulture))];
}
