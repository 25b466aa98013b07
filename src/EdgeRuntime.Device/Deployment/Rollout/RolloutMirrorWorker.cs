using System.Diagnostics;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// Runs the requests <see cref="RolloutTraffic"/> copied to a candidate, one at a time, off every caller's path:
/// each copy goes to the candidate version through the router (so its statistics, metrics and drift see it), and
/// the answer is compared with the stable version's. Copies of a rollout that ended meanwhile are discarded.
/// </summary>
public sealed partial class RolloutMirrorWorker : BackgroundService
{
    private readonly RolloutTraffic _traffic;
    private readonly ModelRouter _router;
    private readonly ILogger _logger;

    public RolloutMirrorWorker(RolloutTraffic traffic, ModelRouter router, ILogger<RolloutMirrorWorker> logger)
    {
        _traffic = traffic;
        _router = router;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var copies = _traffic.Copies;
        try
        {
            while (await copies.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (!stoppingToken.IsCancellationRequested && copies.TryRead(out var copy))
                {
                    _traffic.Dequeued();
                    using (copy)
                    {
                        await RunAsync(copy, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is only a sample of traffic; it is released below.
        }
        finally
        {
            while (copies.TryRead(out var left))
            {
                _traffic.Dequeued();
                left.Dispose();
            }
        }
    }

    private async Task RunAsync(MirrorCopy copy, CancellationToken stoppingToken)
    {
        if (!_traffic.IsCurrent(copy))
        {
            return;
        }

        var start = Stopwatch.GetTimestamp();
        InferenceResponse response;
        try
        {
            // An explicit version: the router serves it as asked, outside the rollout's routing.
            response = await _router.InferAsync(copy.Rollout.Model, copy.Rollout.Candidate, copy.Request, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // The stable version answered this request, so whatever the candidate made of it is the candidate's failure.
            _traffic.RecordMirrorFailure(copy, (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds);
            LogCandidateFailed(copy.Rollout.Model, copy.Rollout.Candidate, ex.Message);
            return;
        }

        using (response)
        {
            var nanoseconds = (long)Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            try
            {
                _traffic.RecordMirrored(copy, nanoseconds, response.Outputs);
            }
            catch (Exception ex)
            {
                // A comparison that cannot be made must not stop the worker (and with it, the host).
                LogCompareFailed(copy.Rollout.Model, copy.Rollout.Candidate, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1724, Level = LogLevel.Debug, Message = "Model {Model}: candidate version {Candidate} failed a mirrored request: {Reason}")]
    private partial void LogCandidateFailed(string model, string candidate, string reason);

    [LoggerMessage(EventId = 1725, Level = LogLevel.Warning, Message = "Model {Model}: the answers of candidate version {Candidate} and the stable version could not be compared")]
    private partial void LogCompareFailed(string model, string candidate, Exception exception);
}
