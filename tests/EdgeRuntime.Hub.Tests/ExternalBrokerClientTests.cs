using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Broker;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;

namespace EdgeRuntime.Hub.Tests;

/// <summary>
/// The hub in External mode against a real mosquitto process, which checks devices with the password and ACL files
/// the hub wrote (and reloads them on SIGHUP).
/// </summary>
[TestFixture]
public sealed class ExternalBrokerClientTests
{
    private const string Mosquitto = "/usr/sbin/mosquitto";
    private Process? _mosquitto;
    private string? _directory;

    [TearDown]
    public void TearDown()
    {
        if (_mosquitto is { HasExited: false })
        {
            _mosquitto.Kill();
            _mosquitto.WaitForExit(10_000);
        }

        _mosquitto?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Test]
    public async Task Mosquitto_HubWrittenFiles_AuthenticateIsolateIngestAndDeliverDesired()
    {
        if (!File.Exists(Mosquitto))
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail($"{Mosquitto} is not installed; CI must install mosquitto");
            }

            Assert.Ignore($"{Mosquitto} is not installed; install mosquitto to run the external-broker test");
        }

        _directory = TestHub.NewDataDirectory();
        var port = FreePort();
        var passwd = Path.Combine(_directory, "mosquitto", "passwd");
        var acl = Path.Combine(_directory, "mosquitto", "acl");
        var pidFile = Path.Combine(_directory, "mosquitto", "pid");
        await using var hub = await TestHub.StartAsync(
            Path.Combine(_directory, "hub"),
            "--Hub:Broker:Mode", "External",
            "--Hub:Broker:Host", "127.0.0.1",
            "--Hub:Broker:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Hub:Broker:Username", "hub",
            "--Hub:Broker:Password", "hub-secret-password",
            "--Hub:Mosquitto:PasswordFile", passwd,
            "--Hub:Mosquitto:AclFile", acl,
            "--Hub:Mosquitto:PidFile", pidFile);
        var a = await hub.RegisterAsync("dev-a");
        var b = await hub.RegisterAsync("dev-b");
        await hub.UploadAsync("m", 1, [1, 2, 3]);
        await hub.AssignAsync("m", 1, deviceId: "dev-a");

        // As root, mosquitto would drop to its own user, which cannot read the hub's 0600 files: keep the test's user.
        var config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            listener {port} 127.0.0.1
            allow_anonymous false
            password_file {passwd}
            acl_file {acl}
            persistence false
            max_queued_messages 100000
            user {Environment.UserName}

            """);
        _mosquitto = Process.Start(new ProcessStartInfo(Mosquitto, ["-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await File.WriteAllTextAsync(pidFile, _mosquitto.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var transport = hub.App.Services.GetRequiredService<IHubTransport>();
        await Eventually.HoldsAsync(() => transport.IsReady, "the hub to connect to mosquitto");

        var refused = await TestDevice.TryConnectAsync(TestDevice.Options(port, "dev-a", "wrong-password"));

        await using var deviceA = await TestDevice.ConnectAsync(port, "dev-a", a.Password);
        await using var deviceB = await TestDevice.ConnectAsync(port, "dev-b", b.Password);
        await deviceA.SubscribeAsync(SyncTopics.Desired("dev-a"));
        await deviceA.SubscribeAsync(SyncTopics.Desired("dev-b"));
        var desired = await deviceA.WaitForAsync(SyncTopics.Desired("dev-a"));

        await deviceA.PublishAsync(SyncTopics.Telemetry("dev-b"), TestDevice.Batch("dev-b", 1, 5));
        await deviceA.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 50));
        await Eventually.HoldsAsync(
            async () => (await hub.GetAsync("/api/devices/dev-a/records/summary", FleetJsonContext.Default.RecordSummaryResponse)).Count == 50,
            "dev-a's records ingested through the shared subscription");

        await hub.UploadAsync("m", 2, [4, 5, 6]);
        await hub.AssignAsync("m", 2, deviceId: "dev-b");
        await deviceB.SubscribeAsync(SyncTopics.Desired("dev-b"));
        await deviceB.WaitForAsync(SyncTopics.Desired("dev-b"));

        // Registered after mosquitto started: reachable only if the hub rewrote the files and mosquitto reloaded them.
        var c = await hub.RegisterAsync("dev-c");
        await Eventually.HoldsAsync(
            async () =>
            {
                return await TestDevice.TryConnectAsync(TestDevice.Options(port, "dev-c", c.Password)) == nameof(MqttClientConnectResultCode.Success);
            },
            "dev-c to connect after the reload");

        var summaryB = await hub.GetAsync("/api/devices/dev-b/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
        Assert.Multiple(() =>
        {
            Assert.That(refused, Does.Contain(nameof(MqttClientConnectResultCode.BadUserNameOrPassword)).Or.Contain(nameof(MqttClientConnectResultCode.NotAuthorized)));
            Assert.That(JsonSerializer.Deserialize(desired.Payload.ToArray(), SyncJsonContext.Default.DesiredState)!.Models.Single().Version, Is.EqualTo("1"));
            Assert.That(summaryB.Count, Is.Zero, "dev-a's publish on dev-b's telemetry must not be ingested");
            Assert.That(deviceA.Received.Any(m => m.Topic == SyncTopics.Desired("dev-b")), Is.False, "dev-a must not receive dev-b's desired state");
        });
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
