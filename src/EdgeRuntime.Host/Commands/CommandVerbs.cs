namespace EdgeRuntime.Host.Commands;

/// <summary>
/// The <c>edge-runtime</c> verbs that run and exit instead of starting the server
/// (<c>edge-runtime baseline ...</c>, <c>edge-runtime package ...</c>, <c>edge-runtime batch ...</c>); any other first argument starts the server as before.
/// </summary>
internal static class CommandVerbs
{
    /// <summary>Runs the verb <paramref name="args"/> starts with and returns its exit code; null when it starts with none.</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter output, TextWriter error)
    {
        Func<string[], TextWriter, TextWriter, Task<int>>? verb = args.FirstOrDefault() switch
        {
            BaselineCommand.Name => BaselineCommand.RunAsync,
            PackageCommand.Name => PackageCommand.RunAsync,
            BatchCommand.Name => BatchCommand.RunAsync,
            _ => null,
        };
        if (verb is null)
        {
            return null;
        }

        try
        {
            return await verb(args[1..], output, error).ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            await error.WriteLineAsync($"edge-runtime {args[0]}: {ex.Message}").ConfigureAwait(false);
            return CommandException.ExitCode;
        }
    }
}
