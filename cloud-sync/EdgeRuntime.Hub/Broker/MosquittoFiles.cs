using System.Text;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Broker;

/// <summary>
/// mosquitto's password and ACL files for an external broker: every device with its <c>$7$</c> hash, the hub's own
/// user (<c>Hub:Broker:Username</c>) reading and writing all of <c>edge/v1/#</c>, and per-device patterns that confine
/// each device to its own subtree. Files are written to a temporary name and renamed, so mosquitto never reads half a file.
/// </summary>
internal sealed partial class MosquittoFiles(HubStore store, IOptions<HubOptions> options, ILogger<MosquittoFiles> logger)
{
    private readonly HubOptions _options = options.Value;

    public static string Acl(string? hubUser)
    {
        var acl = new StringBuilder("# Written by edge-hub; regenerated on start.\n");
        foreach (var channel in HubChannels.Inbound)
        {
            acl.Append("pattern write ").Append(PatternTopic(channel)).Append('\n');
        }

        foreach (var channel in new[] { SyncChannel.Desired, SyncChannel.ArtifactResponse, SyncChannel.Commands })
        {
            acl.Append("pattern read ").Append(PatternTopic(channel)).Append('\n');
        }

        if (!string.IsNullOrEmpty(hubUser))
        {
            acl.Append("\nuser ").Append(hubUser).Append('\n').Append("topic readwrite ").Append(SyncTopics.Root).Append("/#\n");
        }

        return acl.ToString();
    }

    public string Passwords()
    {
        var file = new StringBuilder();
        if (!string.IsNullOrEmpty(_options.Broker.Username))
        {
            file.Append(_options.Broker.Username).Append(':').Append(DeviceCredentials.MosquittoHash(_options.Broker.Password ?? "")).Append('\n');
        }

        foreach (var device in store.ListDevices())
        {
            file.Append(device.Id).Append(':').Append(device.MosquittoHash).Append('\n');
        }

        return file.ToString();
    }

    /// <summary>Writes both files into <paramref name="directory"/> as <c>passwd</c> and <c>acl</c>; returns their paths.</summary>
    public (string PasswordFile, string AclFile) WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        var passwd = Path.Combine(directory, "passwd");
        var acl = Path.Combine(directory, "acl");
        WriteAtomically(passwd, Passwords());
        WriteAtomically(acl, Acl(_options.Broker.Username));
        return (passwd, acl);
    }

    /// <summary>Rewrites the configured files (<c>Hub:Mosquitto:*</c>) and signals mosquitto to reload; no-op when none is configured.</summary>
    public void Refresh()
    {
        var mosquitto = _options.Mosquitto;
        if (mosquitto.PasswordFile is { Length: > 0 } passwd)
        {
            WriteAtomically(passwd, Passwords());
        }

        if (mosquitto.AclFile is { Length: > 0 } acl)
        {
            WriteAtomically(acl, Acl(_options.Broker.Username));
        }

        if (mosquitto.PidFile is { Length: > 0 } pidFile && File.Exists(pidFile)
            && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && OperatingSystem.IsLinux())
        {
            var result = Signals.Hangup(pid);
            LogReloaded(logger, pid, result == 0);
        }
    }

    private static string PatternTopic(SyncChannel channel) => SyncTopics.AllDevices(channel).Replace("/+/", "/%u/", StringComparison.Ordinal);

    private static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, full, overwrite: true);
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Asked mosquitto (pid {Pid}) to reload its password and ACL files: {Sent}")]
    private static partial void LogReloaded(ILogger logger, int pid, bool sent);
}
