using System.Diagnostics;
using System.Globalization;

namespace EdgeRuntime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real mosquitto (from Debian's package, installed by <c>.ci/run</c>) on a loopback port, with the password and
/// ACL files the hub writes, persistence on (so a stopped broker keeps its queued messages) and a queue limit
/// high enough for a backlog. Stop and start it again to simulate an outage; disposing it kills it.
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";

    private ChildProcess? _process;

    private MosquittoBroker(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    public string PasswordFile => Path.Combine(Directory, "passwd");

    public string AclFile => Path.Combine(Directory, "acl");

    /// <summary>Holds the running broker's process id, for the hub to signal a reload (SIGHUP) after rewriting the files.</summary>
    public string PidFile => Path.Combine(Directory, "mosquitto.pid");

    public string Output => _process?.Output ?? "";

    /// <summary>Skips the test when mosquitto is missing on a developer machine; in CI it must be there.</summary>
    private static void RequireInstalled()
    {
        if (File.Exists(Executable))
        {
            return;
        }

        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail($"{Executable} is missing; .ci/run installs Debian's mosquitto package");
        }

        Assert.Ignore($"{Executable} is not installed (apt-get install mosquitto); CI installs it");
    }

    /// <summary>
    /// Writes the configuration into <paramref name="directory"/> (the password and ACL files must exist or be
    /// written there by the hub before the broker starts) and starts the broker.
    /// </summary>
    public static async Task<MosquittoBroker> StartAsync(string directory)
    {
        RequireInstalled();
        System.IO.Directory.CreateDirectory(directory);
        var broker = new MosquittoBroker(directory, FreePort.Next());
        foreach (var file in new[] { broker.PasswordFile, broker.AclFile })
        {
            if (!File.Exists(file))
            {
                await File.WriteAllTextAsync(file, "").ConfigureAwait(false);
            }
        }

        await File.WriteAllTextAsync(Path.Combine(directory, "mosquitto.conf"), broker.Configuration()).ConfigureAwait(false);
        try
        {
            await broker.StartAgainAsync().ConfigureAwait(false);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the broker (again) with the same configuration, port and persisted state.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("mosquitto is already running");
        }

        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }

        var info = new ProcessStartInfo(Executable) { WorkingDirectory = Directory };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Path.Combine(Directory, "mosquitto.conf"));
        _process = ChildProcess.Start(info);
        await File.WriteAllTextAsync(PidFile, _process.ProcessId.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        await FreePort.WaitListeningAsync(Port, () => _process.HasExited, () => _process.Output).ConfigureAwait(false);
    }

    /// <summary>Stops the broker as its service manager would (SIGTERM): it saves its persistent state first.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private string Configuration() => string.Join('\n',
        // Root stays root so the test's own directory is readable and writable without a mosquitto user.
        "user root",
        $"listener {Port} 127.0.0.1",
        "allow_anonymous false",
        $"password_file {PasswordFile}",
        $"acl_file {AclFile}",
        "persistence true",
        $"persistence_location {Directory}/",
        "autosave_interval 1",
        // The default (1000) drops messages queued for a subscriber past it; a drained backlog is far more.
        "max_queued_messages 1000000",
        "max_inflight_messages 100",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "") + "\n";
}
