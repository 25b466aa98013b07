using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Api;

/// <summary>
/// <c>/api/devices/{id}/commands</c>: send a command (stored, then published QoS 1) and read its result. Names the device
/// does not know are passed on (it answers them not ok); <c>promote</c>, <c>advance</c> and <c>rollback</c> need the
/// argument <c>model</c>, <c>run_batch</c> the arguments <c>model</c>, <c>input</c> and <c>output</c>.
/// </summary>
internal static class CommandEndpoints
{
    /// <summary>The argument of <c>promote</c>, <c>advance</c> and <c>rollback</c> that names the model.</summary>
    public const string ModelArgument = "model";

    /// <summary>What a batch job cannot do without: which model scores which input, and where the results go.</summary>
    private static readonly string[] RunBatchRequiredArguments = [ModelArgument, "input", "output"];

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/devices/{id}/commands", SendAsync);
        api.MapGet("/devices/{id}/commands/{commandId}", (string id, string commandId, HubStore store) =>
        {
            if (store.GetCommand(id, commandId) is not { } row)
            {
                return ApiErrors.NotFound($"device '{id}' has no command '{commandId}'");
            }

            return Results.Json(
                new CommandResponse
                {
                    Id = row.Id,
                    DeviceId = row.DeviceId,
                    Name = row.Name,
                    Arguments = row.Arguments is { } args ? JsonSerializer.Deserialize(args, FleetJsonContext.Default.IReadOnlyDictionaryStringString) : null,
                    IssuedAtMs = row.IssuedMs,
                    Result = row.Result is { } result ? JsonSerializer.Deserialize(result, SyncJsonContext.Default.DeviceCommandResult) : null,
                },
                FleetJsonContext.Default.CommandResponse);
        });
    }

    private static async Task<IResult> SendAsync(string id, HttpRequest request, HubStore store, IHubTransport transport, TimeProvider time)
    {
        var (body, error) = await FleetApi.ReadBodyAsync(request, FleetJsonContext.Default.CommandRequest);
        if (body is null)
        {
            return error!;
        }

        if (string.IsNullOrWhiteSpace(body.Name))
        {
            return ApiErrors.BadRequest("name is required");
        }

        // The rollout commands act on one model's rollout on the device; without it the device could only refuse them.
        if (body.Name is DeviceCommandNames.Promote or DeviceCommandNames.Advance or DeviceCommandNames.Rollback
            && !ModelRegistry.IsValidName(body.Arguments?.GetValueOrDefault(ModelArgument)))
        {
            return ApiErrors.BadRequest($"command '{body.Name}' needs the argument '{ModelArgument}': the model whose rollout it moves");
        }

        // A batch job without them would only be refused by the device, after a round trip over the link.
        if (body.Name is DeviceCommandNames.RunBatch)
        {
            var missing = RunBatchRequiredArguments.Where(a => string.IsNullOrWhiteSpace(body.Arguments?.GetValueOrDefault(a))).ToList();
            if (missing.Count > 0)
            {
                return ApiErrors.BadRequest($"command '{body.Name}' needs the arguments {string.Join(", ", RunBatchRequiredArguments.Select(a => $"'{a}'"))}; missing {string.Join(", ", missing.Select(a => $"'{a}'"))}");
            }

            if (!ModelRegistry.IsValidName(body.Arguments![ModelArgument]))
            {
                return ApiErrors.BadRequest($"command '{body.Name}': '{body.Arguments[ModelArgument]}' is not a valid model name");
            }
        }

        if (store.GetDevice(id) is null)
        {
            return ApiErrors.NotFound($"device '{id}' is not registered");
        }

        var command = new DeviceCommand
        {
            Id = Guid.NewGuid().ToString("N"),
            Name = body.Name,
            IssuedAtMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Arguments = body.Arguments,
        };
        store.AddCommand(new CommandRow
        {
            Id = command.Id,
            DeviceId = id,
            Name = command.Name,
            Arguments = body.Arguments is null ? null : JsonSerializer.Serialize(body.Arguments, FleetJsonContext.Default.IReadOnlyDictionaryStringString),
            IssuedMs = command.IssuedAtMs,
        });
        if (!transport.IsReady)
        {
            return ApiErrors.Error(StatusCodes.Status503ServiceUnavailable, "the broker is not connected; the command was stored but not sent");
        }

        await transport.PublishAsync(
            SyncTopics.Commands(id),
            Encoding.UTF8.GetBytes(JsonSerializer.Serialize(command, SyncJsonContext.Default.DeviceCommand)),
            retain: false,
            [new(SyncHeaders.Schema, "1")],
            contentType: SyncHeaders.JsonContentType,
            cancellationToken: request.HttpContext.RequestAborted);
        return Results.Json(new CommandAcceptedResponse(command.Id), FleetJsonContext.Default.CommandAcceptedResponse, statusCode: StatusCodes.Status202Accepted);
    }
}
