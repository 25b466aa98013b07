using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Source-generated JSON of <c>rollout.json</c>, snake_case like the wire contract.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RolloutState))]
internal sealed partial class RolloutJsonContext : JsonSerializerContext;
