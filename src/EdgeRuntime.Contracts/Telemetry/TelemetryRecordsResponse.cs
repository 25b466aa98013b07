using System.Text.Json;

namespace EdgeRuntime.Contracts.Telemetry;

/// <summary><c>GET /v2/edge/telemetry/records?after=N&amp;limit=M</c>: stored records, oldest first, as they will go to the hub.</summary>
public sealed record TelemetryRecordsResponse(IReadOnlyList<TelemetryRecordEntry> Records);

/// <summary>One stored record; <see cref="Payload"/> is its JSON document.</summary>
public sealed record TelemetryRecordEntry(long Sequence, string Kind, long TimestampMs, string Type, string? Model, string? Version, JsonElement Payload);
