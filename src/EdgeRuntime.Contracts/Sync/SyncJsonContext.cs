using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Sync;

/// <summary>Source-generated JSON for the hub link's messages, snake_case like the rest of the contract.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(TelemetryBatch))]
[JsonSerializable(typeof(DesiredState))]
[JsonSerializable(typeof(ArtifactChunkRequest))]
[JsonSerializable(typeof(DeviceCommand))]
[JsonSerializable(typeof(DeviceCommandResult))]
[JsonSerializable(typeof(DeploymentEvent))]
[JsonSerializable(typeof(SyncStatusResponse))]
[JsonSerializable(typeof(RolloutsResponse))]
[JsonSerializable(typeof(RolloutResponse))]
public sealed partial class SyncJsonContext : JsonSerializerContext;
