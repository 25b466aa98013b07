namespace EdgeRuntime.Hub.Hosting;

/// <summary>Creates the API token at start (not on the first request) and says where it is — never the token itself.</summary>
internal sealed partial class ApiTokenReporter(ApiToken token, ILogger<ApiTokenReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (token.FilePath is null)
        {
            LogConfigured(logger);
        }
        else
        {
            LogFile(logger, token.Generated ? "generated" : "read", token.FilePath);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "API bearer token taken from Hub:ApiToken")]
    private static partial void LogConfigured(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "API bearer token {How} in {Path}")]
    private static partial void LogFile(ILogger logger, string how, string path);
}
