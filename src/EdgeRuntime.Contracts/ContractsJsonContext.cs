using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Contracts.Telemetry;

namespace EdgeRuntime.Contracts;

/// <summary>Source-generated JSON for every wire type: OIP objects in snake_case, as the protocol writes them.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ServerMetadataResponse))]
[JsonSerializable(typeof(ModelMetadataResponse))]
[JsonSerializable(typeof(LiveResponse))]
[JsonSerializable(typeof(ReadyResponse))]
[JsonSerializable(typeof(ModelReadyResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ModelStatisticsResponse))]
[JsonSerializable(typeof(RepositoryIndexRequest))]
[JsonSerializable(typeof(IReadOnlyList<RepositoryIndexEntry>))]
[JsonSerializable(typeof(RepositoryModelRequest))]
[JsonSerializable(typeof(ModelConfig))]
[JsonSerializable(typeof(ModelManifest))]
[JsonSerializable(typeof(IReadOnlyList<SmokeTensor>))]
[JsonSerializable(typeof(PackageSignature))]
[JsonSerializable(typeof(DriftBaseline))]
[JsonSerializable(typeof(DriftReport))]
[JsonSerializable(typeof(IReadOnlyList<DriftReport>))]
[JsonSerializable(typeof(AlertNotification))]
[JsonSerializable(typeof(IReadOnlyList<AlertNotification>))]
[JsonSerializable(typeof(ModelEvent))]
[JsonSerializable(typeof(MetricsSnapshot))]
[JsonSerializable(typeof(ModelMetricsSnapshot))]
[JsonSerializable(typeof(TelemetryStatusResponse))]
[JsonSerializable(typeof(TelemetryRecordsResponse))]
[JsonSerializable(typeof(AlertsResponse))]
[JsonSerializable(typeof(DriftResponse))]
[JsonSerializable(typeof(BatchJobRequest))]
[JsonSerializable(typeof(BatchJobStatus))]
[JsonSerializable(typeof(BatchJobsResponse))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
