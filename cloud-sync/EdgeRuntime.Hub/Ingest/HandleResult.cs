namespace EdgeRuntime.Hub.Ingest;

/// <summary>What became of a device message; the embedded broker turns it into the PUBACK's reason code.</summary>
internal enum HandleResult
{
    /// <summary>Handled (for records: durably in the store).</summary>
    Accepted,

    /// <summary>The device may not send this (another device's id, a response topic not its own).</summary>
    NotAuthorized,

    /// <summary>The payload could not be read; sending it again will not help.</summary>
    Invalid,

    /// <summary>The hub failed (e.g. the store); the device should keep the message and retry.</summary>
    Failed,
}
