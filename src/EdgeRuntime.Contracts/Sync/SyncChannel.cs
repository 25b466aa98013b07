namespace EdgeRuntime.Contracts.Sync;

/// <summary>The topics under a device's subtree <c>edge/v1/{deviceId}/</c>, and which way each one flows.</summary>
public enum SyncChannel
{
    /// <summary>Device → hub, retained: who the device is and what it serves; the will marks it offline.</summary>
    Status,

    /// <summary>Device → hub: a <see cref="TelemetryBatch"/> of metrics and samples from the store.</summary>
    Telemetry,

    /// <summary>Device → hub: a <see cref="TelemetryBatch"/> of events and drift reports from the store.</summary>
    Events,

    /// <summary>Hub → device, retained: the <see cref="DesiredState"/>.</summary>
    Desired,

    /// <summary>Device → hub: an <see cref="ArtifactChunkRequest"/>, with an MQTT 5 response topic and correlation data.</summary>
    ArtifactRequest,

    /// <summary>Hub → device: the requested chunk's bytes, described by <see cref="SyncHeaders"/> user properties.</summary>
    ArtifactResponse,

    /// <summary>Hub → device: a <see cref="DeviceCommand"/>.</summary>
    Commands,

    /// <summary>Device → hub: a <see cref="DeviceCommandResult"/>.</summary>
    CommandResponse,
}
