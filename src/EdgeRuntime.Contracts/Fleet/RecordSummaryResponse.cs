namespace EdgeRuntime.Contracts.Fleet;

/// <summary>
/// What the hub holds of one device's records: how many, the sequence range, and how many sequence numbers
/// between <see cref="FirstSeq"/> and <see cref="LastSeq"/> are absent.
/// </summary>
public sealed record RecordSummaryResponse(long Count, long? FirstSeq, long? LastSeq, long Missing);
