using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Sync;

/// <summary>Source-generated JSON of the sync agent's own files under <c>&lt;data&gt;/sync</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SyncState))]
[JsonSerializable(typeof(DownloadCheckpoint))]
internal sealed partial class SyncStateJsonContext : JsonSerializerContext;
