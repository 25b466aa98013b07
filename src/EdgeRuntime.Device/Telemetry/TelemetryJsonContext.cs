using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>Source-generated JSON for the payloads the telemetry feature writes itself.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RecordsDroppedPayload))]
internal sealed partial class TelemetryJsonContext : JsonSerializerContext;
