using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Inference;

/// <summary>Source-generated JSON for the device's own files (profiles).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(DeviceProfile))]
internal sealed partial class DeviceJsonContext : JsonSerializerContext;
