using System.Diagnostics;
using EdgeRuntime.Hub.Ingest;

namespace EdgeRuntime.Hub.Deployments;

/// <summary>
/// Moves running deployments along: evaluates them whenever a device's status is stored or a deployment changed
/// (coalesced), and every second besides, so ring bake times end without a status to wake it. At start it first brings
/// every deployment member's desired state up to date.
/// </summary>
internal sealed partial class DeploymentMonitor(DeploymentService deployments, HubMessageHandler handler, ILogger<DeploymentMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The least time between two evaluations: a fleet's stream of statuses (thousands a minute) would otherwise keep an
    /// evaluation of every member running back to back; statuses that arrive meanwhile are all read by the next one.
    /// </summary>
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _wake = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        handler.StatusStored += OnStatusStored;
        deployments.Changed += Wake;
        try
        {
            await deployments.RefreshMembersAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await deployments.EvaluateAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogEvaluationFailed(logger, ex);
                }

                var woken = await _wake.WaitAsync(Interval, stoppingToken);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (woken && elapsed < MinGap)
                {
                    await Task.Delay(MinGap - elapsed, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            handler.StatusStored -= OnStatusStored;
            deployments.Changed -= Wake;
        }
    }

    private void OnStatusStored(string deviceId) => Wake();

    private void Wake()
    {
        // One pending wake is enough: the evaluation reads every status as stored by then.
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    [LoggerMessage(EventId = 740, Level = LogLevel.Error, Message = "Evaluating the fleet deployments failed; trying again in a second")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
