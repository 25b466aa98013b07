namespace EdgeRuntime.Host.Commands;

/// <summary>
/// The <c>edge-runtime</c> verbs that run and exit instead of starting the server
/// (<c>edge-runtime baseline ...</c>); any other first argument starts the server as before.
/// </summary>
internal static class CommandVerbs
{
    /// <summary>Runs the verb <paramref name="args"/> starts with and returns its exit code; null when it starts with none.</summary>
    public static async Task<int?> TryRunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] != BaselineCommand.Name)
        {
            return null;
        }

        try
        {
            return await BaselineCommand.RunAsync(args[1..], output, error).ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            await error.WriteLineAsync($"edge-runtime {args[0]}: {ex.Message}").ConfigureAwait(false);
            return CommandException.ExitCode;
        }
    }
}
