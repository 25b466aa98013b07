namespace EdgeRuntime.Host.Commands;

/// <summary>A command-line verb could not do its work because of what it was given: exit code 2, message on stderr.</summary>
internal sealed class CommandException(string message, Exception? innerException = null) : Exception(message, innerException)
{
    public const int ExitCode = 2;
}
