using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment;

/// <summary>
/// Loads the repository when the host starts (installing the demo model into an empty one when asked to),
/// then re-scans it on an interval so that added, changed and removed versions take effect.
/// </summary>
public sealed partial class RepositoryWatcher : BackgroundService
{
    private readonly ModelRepository _repository;
    private readonly EdgeRuntimeOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _initialScan = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RepositoryWatcher(ModelRepository repository, IOptions<EdgeRuntimeOptions> options, ILogger<RepositoryWatcher> logger)
    {
        _repository = repository;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Completes when the first scan has loaded (or failed to load) every model.</summary>
    public Task InitialScan => _initialScan.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_options.InstallDemoModel)
            {
                DemoModel.InstallIfEmpty(_repository.Root, _logger);
            }

            await _repository.ScanAsync(stoppingToken).ConfigureAwait(false);
            LogInitialScan(_repository.Root, _repository.Index().Count(e => e.State == ModelState.Ready));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogScanFailed(_repository.Root, ex.Message);
        }
        finally
        {
            _initialScan.TrySetResult();
        }

        if (_options.RepositoryPollSeconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.RepositoryPollSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await _repository.ScanAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogScanFailed(_repository.Root, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Model repository {Root} loaded: {Ready} version(s) ready")]
    private partial void LogInitialScan(string root, int ready);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Model repository {Root} could not be scanned: {Reason}")]
    private partial void LogScanFailed(string root, string reason);
}
