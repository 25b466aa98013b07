namespace EdgeRuntime.Hub.Deployments;

/// <summary>Log messages of <see cref="DeploymentService"/> (event ids 720–739).</summary>
internal sealed partial class DeploymentService
{
    [LoggerMessage(EventId = 720, Level = LogLevel.Information, Message = "Deployment {DeploymentId}: {Model} version {Version} to {Devices} devices in rings {Rings} (cumulative %)")]
    private static partial void LogCreated(ILogger logger, string deploymentId, string model, long version, int devices, string rings);

    [LoggerMessage(EventId = 721, Level = LogLevel.Information, Message = "Deployment {DeploymentId}: ring {Ring} ({Percent} %) started on {Devices} more devices ({Reason})")]
    private static partial void LogRingStarted(ILogger logger, string deploymentId, int ring, string percent, int devices, string reason);

    [LoggerMessage(EventId = 722, Level = LogLevel.Information, Message = "Deployment {DeploymentId} completed: {Model} version {Version} on {Devices} devices, kept by assignments {AssignmentIds}")]
    private static partial void LogCompleted(ILogger logger, string deploymentId, string model, long version, int devices, string assignmentIds);

    [LoggerMessage(EventId = 723, Level = LogLevel.Warning, Message = "Deployment {DeploymentId} rolled back on the {Devices} devices it reached: {Reason}")]
    private static partial void LogRolledBack(ILogger logger, string deploymentId, int devices, string reason);

    [LoggerMessage(EventId = 724, Level = LogLevel.Information, Message = "Deployment {DeploymentId} halted by hand in ring {Ring}")]
    private static partial void LogHalted(ILogger logger, string deploymentId, int ring);

    [LoggerMessage(EventId = 725, Level = LogLevel.Information, Message = "Deployment {DeploymentId} resumed by hand in ring {Ring}")]
    private static partial void LogResumed(ILogger logger, string deploymentId, int ring);

    [LoggerMessage(EventId = 726, Level = LogLevel.Information, Message = "Deployment {DeploymentId} cancelled by hand in ring {Ring}; {Devices} devices reached keep the version")]
    private static partial void LogCancelled(ILogger logger, string deploymentId, int ring, int devices);

    [LoggerMessage(EventId = 727, Level = LogLevel.Warning, Message = "Deployment {DeploymentId}: {DeviceId} (ring {Ring}) failed {Model} version {Version}: {Reason}")]
    private static partial void LogDeviceFailed(ILogger logger, string deploymentId, string deviceId, int ring, string model, string version, string reason);
}
