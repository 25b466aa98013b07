using System.Text.Json;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Deployment.Rollout;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Runs the hub's <see cref="DeviceCommand"/>s from <c>commands</c> one at a time — <c>flush</c>, <c>publish_status</c>,
/// <c>reconcile</c>, <c>promote</c>, <c>advance</c>, <c>rollback</c> of a model's rollout (argument <c>model</c>,
/// optional <c>reason</c>), and <c>run_batch</c>, which queues a batch job and answers once it is queued (its
/// <c>batch_job_finished</c> event follows in telemetry) — and answers each on <c>commands/response</c>; an unknown
/// command is answered not ok.
/// </summary>
public sealed partial class DeviceCommandHandler : BackgroundService
{
    private readonly IHubLink _link;
    private readonly TelemetryUplink _uplink;
    private readonly DeviceStatusReporter _status;
    private readonly DeploymentAgent? _agent;
    private readonly RolloutController? _rollouts;
    private readonly BatchJobService? _batches;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<DeviceCommand> _commands = Channel.CreateBounded<DeviceCommand>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });

    public DeviceCommandHandler(IHubLink link, TelemetryUplink uplink, DeviceStatusReporter status, DeploymentAgent? agent, RolloutController? rollouts, ILogger logger, TimeProvider? time = null, BatchJobService? batches = null)
    {
        _rollouts = rollouts;
        _batches = batches;
        _link = link;
        _uplink = uplink;
        _status = status;
        _agent = agent;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        link.OnMessage(OnMessageAsync);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var command in _commands.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                var (ok, message) = await RunAsync(command, stoppingToken).ConfigureAwait(false);
                LogCommand(command.Name, command.Id, ok, message ?? "");
                var result = new DeviceCommandResult
                {
                    Id = command.Id,
                    Name = command.Name,
                    Ok = ok,
                    Message = message,
                    CompletedAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds(),
                };
                await _link.PublishAsync(
                    new HubMessage(SyncChannel.CommandResponse, JsonSerializer.SerializeToUtf8Bytes(result, SyncJsonContext.Default.DeviceCommandResult))
                    {
                        ContentType = SyncHeaders.JsonContentType,
                    },
                    stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<(bool Ok, string? Message)> RunAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        switch (command.Name)
        {
            case DeviceCommandNames.Flush:
                await _uplink.FlushAsync(cancellationToken).ConfigureAwait(false);
                return (true, $"flushed up to sequence {_uplink.LastAckedSequence}");
            case DeviceCommandNames.PublishStatus:
                return await _status.PublishAsync(cancellationToken).ConfigureAwait(false) ? (true, null) : (false, "the status could not be published");
            case DeviceCommandNames.Reconcile when _agent is not null:
                var outcome = await _agent.ReconcileAsync(cancellationToken).ConfigureAwait(false);
                return (outcome.State != DeploymentAgent.Failed, $"revision {outcome.AppliedRevision} applied; state {outcome.State}{(outcome.Reason is null ? "" : ": " + outcome.Reason)}");
            case DeviceCommandNames.Promote or DeviceCommandNames.Advance or DeviceCommandNames.Rollback when _rollouts is not null:
                if (command.Arguments?.GetValueOrDefault("model") is not { Length: > 0 } model)
                {
                    return (false, $"{command.Name} needs the argument 'model'");
                }

                var result = command.Name switch
                {
                    DeviceCommandNames.Promote => await _rollouts.PromoteAsync(model, "hub", cancellationToken).ConfigureAwait(false),
                    DeviceCommandNames.Advance => await _rollouts.AdvanceAsync(model, "hub", cancellationToken).ConfigureAwait(false),
                    _ => await _rollouts.RollbackAsync(model, "hub", command.Arguments.GetValueOrDefault("reason"), cancellationToken).ConfigureAwait(false),
                };
                return (result.Ok, result.Ok
                    ? $"model '{model}': stable {result.State.Stable ?? "none"}, candidate {result.State.Candidate ?? "none"}, phase {result.State.Phase}"
                    : result.Reason);
            case DeviceCommandNames.RunBatch when _batches is not null:
                return RunBatch(command.Arguments);
            default:
                return (false, $"unknown command '{command.Name}'");
        }
    }

    private (bool Ok, string Message) RunBatch(IReadOnlyDictionary<string, string>? arguments)
    {
        try
        {
            var status = _batches!.Submit(BatchJobRequests.ToSpec(BatchJobRequests.FromArguments(arguments), "hub"));
            return (true, $"job {status.Id} {status.State} (model {status.Model})");
        }
        catch (BatchJobException ex)
        {
            return (false, ex.Message);
        }
    }

    private Task OnMessageAsync(HubMessage message, CancellationToken cancellationToken)
    {
        if (message.Channel != SyncChannel.Commands)
        {
            return Task.CompletedTask;
        }

        try
        {
            if (JsonSerializer.Deserialize(message.Payload.Span, SyncJsonContext.Default.DeviceCommand) is { } command)
            {
                _commands.Writer.TryWrite(command);
            }
        }
        catch (JsonException ex)
        {
            LogUnreadable(ex.Message);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1650, Level = LogLevel.Information, Message = "Command {Name} ({Id}) done: ok {Ok} {Message}")]
    private partial void LogCommand(string name, string id, bool ok, string message);

    [LoggerMessage(EventId = 1651, Level = LogLevel.Warning, Message = "Command ignored, it cannot be read: {Reason}")]
    private partial void LogUnreadable(string reason);
}
