namespace EdgeRuntime.Device.Telemetry;

/// <summary>The telemetry store could not open or write its database (full disk, I/O error, corrupt file); the message names the file.</summary>
public sealed class TelemetryStoreException : IOException
{
    public TelemetryStoreException()
    {
    }

    public TelemetryStoreException(string message)
        : base(message)
    {
    }

    public TelemetryStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The database file is not a usable SQLite database (corrupt, or not a database at all).</summary>
    public bool IsCorrupt { get; init; }
}
