using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Contracts.Fleet;

/// <summary>Source-generated JSON for the hub's fleet HTTP API, snake_case like the rest of the contract.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(RegisterDeviceRequest))]
[JsonSerializable(typeof(DeviceCredentialsResponse))]
[JsonSerializable(typeof(DeviceTagsRequest))]
[JsonSerializable(typeof(DeviceSummary))]
[JsonSerializable(typeof(IReadOnlyList<DeviceSummary>))]
[JsonSerializable(typeof(ModelVersionResponse))]
[JsonSerializable(typeof(IReadOnlyList<ModelVersionResponse>))]
[JsonSerializable(typeof(IReadOnlyList<ModelSummary>))]
[JsonSerializable(typeof(AssignmentRequest))]
[JsonSerializable(typeof(AssignmentResponse))]
[JsonSerializable(typeof(IReadOnlyList<AssignmentResponse>))]
[JsonSerializable(typeof(IReadOnlyList<FleetRecord>))]
[JsonSerializable(typeof(RecordSummaryResponse))]
[JsonSerializable(typeof(IngestDelayResponse))]
[JsonSerializable(typeof(IReadOnlyList<AlertResponse>))]
[JsonSerializable(typeof(RetrainingNotification))]
[JsonSerializable(typeof(CommandRequest))]
[JsonSerializable(typeof(CommandAcceptedResponse))]
[JsonSerializable(typeof(CommandResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(DesiredState))]
[JsonSerializable(typeof(IReadOnlyList<DeviceModelStatus>))]
[JsonSerializable(typeof(DeviceStoreStatus))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<DesiredModel>))]
[JsonSerializable(typeof(DeviceCommandResult))]
[JsonSerializable(typeof(SigningKeyResponse))]
[JsonSerializable(typeof(IReadOnlyList<DeviceRolloutStatus>))]
[JsonSerializable(typeof(RolloutSpec))]
[JsonSerializable(typeof(DeploymentRequest))]
[JsonSerializable(typeof(DeploymentResponse))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentResponse>))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentDevice>))]
public sealed partial class FleetJsonContext : JsonSerializerContext;
