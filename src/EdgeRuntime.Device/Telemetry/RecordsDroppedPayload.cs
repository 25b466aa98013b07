namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The payload of the store's <c>records_dropped</c> event: why (<c>quota</c>, <c>age</c>, <c>channel_full</c>) and how
/// many records of each kind (<c>event</c>, <c>drift</c>, <c>metrics</c>, <c>sample</c>) went.
/// </summary>
internal sealed record RecordsDroppedPayload(string Reason, IReadOnlyDictionary<string, long> Dropped);
