using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>How far live traffic has moved from a model's baseline; serialized as <c>ok</c>, <c>warn</c>, <c>alert</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftState>))]
public enum DriftState
{
    [JsonStringEnumMemberName("ok")]
    Ok,

    [JsonStringEnumMemberName("warn")]
    Warn,

    [JsonStringEnumMemberName("alert")]
    Alert,
}
