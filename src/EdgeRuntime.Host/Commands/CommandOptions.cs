namespace EdgeRuntime.Host.Commands;

/// <summary>
/// The options of a verb: <c>--name value</c> or <c>--name=value</c> for the valued ones (repeatable), bare <c>--flag</c>
/// for the others, and positional arguments. Options a verb hands on elsewhere (e.g. configuration keys) are kept
/// apart as given; anything else is refused with the verb's usage.
/// </summary>
internal sealed class CommandOptions
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = [];
    private readonly List<string> _passedThrough = [];
    private readonly string _usage;

    private CommandOptions(string usage) => _usage = usage;

    public IReadOnlyList<string> Positionals => _positionals;

    /// <summary>The options <c>passThrough</c> claimed, each with its value, in the order and form given.</summary>
    public IReadOnlyList<string> PassedThrough => _passedThrough;

    /// <summary>
    /// Parses <paramref name="args"/>. Options whose name <paramref name="passThrough"/> accepts are not the verb's:
    /// they go, with their value (inline or the next argument), to <see cref="PassedThrough"/>.
    /// </summary>
    public static CommandOptions Parse(string[] args, string usage, IReadOnlyCollection<string> valued, IReadOnlyCollection<string> flags, Func<string, bool>? passThrough = null)
    {
        var options = new CommandOptions(usage);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                options._positionals.Add(arg);
                continue;
            }

            var (name, inline) = arg.Split('=', 2) is [var n, var v] ? (n, v) : (arg, null);
            if (passThrough?.Invoke(name) == true)
            {
                options._passedThrough.Add(arg);
                if (inline is null)
                {
                    options._passedThrough.Add(i + 1 < args.Length ? args[++i] : throw new CommandException($"{name} needs a value\n{usage}"));
                }
            }
            else if (flags.Contains(name) && inline is null)
            {
                options._flags.Add(name);
            }
            else if (valued.Contains(name))
            {
                var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new CommandException($"{name} needs a value\n{usage}"));
                if (!options._values.TryGetValue(name, out var list))
                {
                    options._values[name] = list = [];
                }

                list.Add(value);
            }
            else
            {
                throw new CommandException($"unknown option '{arg}'\n{usage}");
            }
        }

        return options;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>Every value given for <paramref name="option"/>, in order.</summary>
    public IReadOnlyList<string> Values(string option) => _values.TryGetValue(option, out var list) ? list : [];

    /// <summary>The value of an option given at most once; null when absent.</summary>
    public string? Value(string option) => Values(option) switch
    {
        [] => null,
        [var only] => only,
        _ => throw new CommandException($"{option} is given more than once"),
    };

    public string Required(string option) => Value(option) ?? throw new CommandException($"{option} is required\n{_usage}");

    /// <summary>The one positional argument, named <paramref name="what"/> in the error when it is missing or repeated.</summary>
    public string SinglePositional(string what) => _positionals switch
    {
        [var only] => only,
        [] => throw new CommandException($"{what} is required\n{_usage}"),
        _ => throw new CommandException($"one {what} only, got {string.Join(" ", _positionals)}\n{_usage}"),
    };
}
