namespace EdgeRuntime.Contracts.Fleet;

/// <summary>
/// <c>GET /api/telemetry/delay</c>: how long records created in a window took to reach the hub's store (the time the
/// hub's writer began the transaction that stored a record, minus the device's timestamp), as nearest-rank percentiles.
/// </summary>
public sealed record IngestDelayResponse(long Count, long? P50Ms, long? P95Ms, long? P99Ms, long? MaxMs);
