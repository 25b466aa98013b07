using EdgeRuntime.Contracts.Sync;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Sync;

/// <summary>Checks <see cref="SyncOptions"/> at start; each failure names its key and the problem. Off, nothing is checked.</summary>
internal sealed class SyncOptionsValidator : IValidateOptions<SyncOptions>
{
    public ValidateOptionsResult Validate(string? name, SyncOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        const string Section = SyncOptions.SectionName;
        if (!SyncTopics.IsValidDeviceId(options.DeviceId))
        {
            failures.Add($"{Section}:DeviceId: '{options.DeviceId}' is not a valid device id (1-{SyncTopics.MaxDeviceIdLength} letters, digits, '-', '_' or '.')");
        }

        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add($"{Section}:Host: must name the broker");
        }

        if (options.Port is < 1 or > 65535)
        {
            failures.Add($"{Section}:Port: {options.Port} is not a TCP port");
        }

        if (options.ClientCertificatePath is { } certificate && !File.Exists(certificate))
        {
            failures.Add($"{Section}:ClientCertificatePath: {certificate} does not exist");
        }

        if (options.CaCertificatePath is { } ca && !File.Exists(ca))
        {
            failures.Add($"{Section}:CaCertificatePath: {ca} does not exist");
        }

        if (!options.UseTls && (options.ClientCertificatePath is not null || options.CaCertificatePath is not null))
        {
            failures.Add($"{Section}:UseTls: certificates are configured but TLS is off");
        }

        Positive(failures, "KeepAliveSeconds", options.KeepAliveSeconds);
        Positive(failures, "SessionExpirySeconds", options.SessionExpirySeconds);
        if (options.SessionExpirySeconds > uint.MaxValue)
        {
            failures.Add($"{Section}:SessionExpirySeconds: {options.SessionExpirySeconds} is above the MQTT maximum of {uint.MaxValue}");
        }

        Positive(failures, "ReconnectMinDelayMs", options.ReconnectMinDelayMs);
        if (options.ReconnectMaxDelayMs < options.ReconnectMinDelayMs)
        {
            failures.Add($"{Section}:ReconnectMaxDelayMs: {options.ReconnectMaxDelayMs} is below ReconnectMinDelayMs ({options.ReconnectMinDelayMs})");
        }

        Positive(failures, "UplinkBatchSize", options.UplinkBatchSize);
        Positive(failures, "UplinkMaxInFlight", options.UplinkMaxInFlight);
        Positive(failures, "StatusIntervalSeconds", options.StatusIntervalSeconds);
        Positive(failures, "ChunkTimeoutSeconds", options.ChunkTimeoutSeconds);
        if (options.CompressAboveBytes < 0)
        {
            failures.Add($"{Section}:CompressAboveBytes: {options.CompressAboveBytes} must not be negative");
        }

        if (options.ChunkBytes is < 1 or > SyncProtocol.MaxChunkBytes)
        {
            failures.Add($"{Section}:ChunkBytes: {options.ChunkBytes} is not between 1 and {SyncProtocol.MaxChunkBytes}");
        }

        if (options.ChunkRetries < 0)
        {
            failures.Add($"{Section}:ChunkRetries: {options.ChunkRetries} must not be negative");
        }

        if (options.MaxDownloadBytesPerSecond < 0)
        {
            failures.Add($"{Section}:MaxDownloadBytesPerSecond: {options.MaxDownloadBytesPerSecond} must not be negative (0 = unlimited)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Positive(List<string> failures, string key, long value)
    {
        if (value < 1)
        {
            failures.Add($"{SyncOptions.SectionName}:{key}: {value} must be at least 1");
        }
    }
}
