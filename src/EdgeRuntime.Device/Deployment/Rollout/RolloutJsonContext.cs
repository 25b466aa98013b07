using System.Text.Json.Serialization;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Source-generated JSON of <c>rollout.json</c>, snake_case like the wire contract.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RolloutState))]
[JsonSerializable(typeof(RolloutSpec))]
internal sealed partial class RolloutJsonContext : JsonSerializerContext;
