using System.Text.Json;

namespace EdgeRuntime.Contracts.Inference;

/// <summary>
/// Body of the repository extension's load and unload calls. Parameter values are strings, numbers or
/// booleans; for load, <c>config</c> holds a model configuration as JSON and <c>file:&lt;version&gt;/&lt;name&gt;</c>
/// a base64 model file.
/// </summary>
public sealed record RepositoryModelRequest(IReadOnlyDictionary<string, JsonElement>? Parameters = null);
