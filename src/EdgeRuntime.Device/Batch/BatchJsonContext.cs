using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Batch;

/// <summary>Source-generated JSON of the host's job registry (<c>&lt;data&gt;/batch-state/jobs.json</c>) and a job database's output list, snake_case like the wire contract.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BatchJobRegistry))]
[JsonSerializable(typeof(BatchJobEntry))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, long>))]
internal sealed partial class BatchJsonContext : JsonSerializerContext;
