using System.Text;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.EndToEnd.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeRuntime.EndToEnd.Tests;

/// <summary>
/// A device's credentials open only its own subtree, on the embedded broker and on mosquitto with the files the
/// hub writes: another device's topics can be neither read nor written, and a wrong password gets nowhere.
/// </summary>
[TestFixture(BrokerKind.Embedded)]
[TestFixture(BrokerKind.Mosquitto)]
public sealed class BrokerAclTests(BrokerKind broker)
{
    [Test]
    public async Task Device_UsesAnotherDevicesTopics_Refused()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var passwordA = await fleet.RegisterDeviceAsync("acl-a");
        await fleet.RegisterDeviceAsync("acl-b");
        using var client = await ConnectAsync(fleet, "acl-a", passwordA);
        Assert.That(client, Is.Not.Null, "device A connects with its own credentials");

        // Subscribe to B's desired state and to A's own; mosquitto grants any filter and filters on delivery, the
        // embedded broker refuses the foreign one outright. Either way nothing of B's may reach A.
        var received = new List<string>();
        client!.ApplicationMessageReceivedAsync += e =>
        {
            lock (received)
            {
                received.Add(e.ApplicationMessage.Topic);
            }

            return Task.CompletedTask;
        };
        var theirs = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(SyncTopics.Desired("acl-b"), MqttQualityOfServiceLevel.AtLeastOnce).Build());
        if (broker == BrokerKind.Embedded)
        {
            Assert.That(theirs.Items.Single().ResultCode, Is.EqualTo(MqttClientSubscribeResultCode.NotAuthorized), "A may not subscribe to B's desired state");
            var everyone = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(SyncTopics.AllDevices(SyncChannel.Telemetry), MqttQualityOfServiceLevel.AtLeastOnce).Build());
            Assert.That(everyone.Items.Single().ResultCode, Is.EqualTo(MqttClientSubscribeResultCode.NotAuthorized), "nor to a filter spanning devices");
        }

        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(SyncTopics.Desired("acl-a"), MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await fleet.UploadModelAsync("sensor", 1, SyntheticModels.Demo().Bytes);
        await fleet.AssignAsync("sensor", 1, "acl-b");
        await fleet.AssignAsync("sensor", 1, "acl-a");

        // The hub published B's desired state before A's, and one publisher's messages reach a subscriber in order:
        // once A has its own, B's would have come first had the broker let it through.
        await Host.Tests.Infrastructure.Wait.UntilAsync(() =>
        {
            lock (received)
            {
                return Task.FromResult(received.Contains(SyncTopics.Desired("acl-a")));
            }
        });
        lock (received)
        {
            Assert.That(received, Has.None.EqualTo(SyncTopics.Desired("acl-b")), "A read nothing of B's");
        }

        var forged = new MqttApplicationMessageBuilder()
            .WithTopic(SyncTopics.Telemetry("acl-b"))
            .WithPayload(Encoding.UTF8.GetBytes("""{"schema_version":1,"device_id":"acl-b","from_seq":1,"to_seq":1,"records":[{"sequence":1,"kind":"metrics","timestamp_ms":1,"type":"metrics","payload":{}}]}"""))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        var published = await client.PublishAsync(forged);
        Assert.That(published.ReasonCode, Is.Not.EqualTo(MqttClientPublishReasonCode.Success), "A may not write on B's topics");

        // Whatever the broker said, the hub holds nothing from B.
        var own = new MqttApplicationMessageBuilder()
            .WithTopic(SyncTopics.Telemetry("acl-a"))
            .WithPayload(Encoding.UTF8.GetBytes("""{"schema_version":1,"device_id":"acl-a","from_seq":1,"to_seq":1,"records":[{"sequence":1,"kind":"metrics","timestamp_ms":1,"type":"metrics","payload":{}}]}"""))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        await client.PublishAsync(own);
        await Host.Tests.Infrastructure.Wait.UntilAsync(async () => (await fleet.SummaryAsync("acl-a")).Count == 1);
        Assert.That((await fleet.SummaryAsync("acl-b")).Count, Is.Zero);

        using var intruder = await ConnectAsync(fleet, "acl-b", "not-the-password", expectRefusal: true);
        Assert.That(intruder, Is.Null, "a wrong password is refused");
    }

    /// <summary>
    /// Connects as <paramref name="deviceId"/>; null when the broker refuses the credentials. Good credentials are
    /// retried for a few seconds: the hub rewrites mosquitto's password file and signals a reload just after registering.
    /// </summary>
    private static async Task<IMqttClient?> ConnectAsync(Fleet fleet, string deviceId, string password, bool expectRefusal = false)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", fleet.BrokerPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(deviceId)
            .WithCredentials(deviceId, password)
            .Build();
        for (var attempt = 1; ; attempt++)
        {
            var client = new MqttClientFactory().CreateMqttClient();
            try
            {
                if ((await client.ConnectAsync(options)).ResultCode == MqttClientConnectResultCode.Success)
                {
                    return client;
                }
            }
            catch (MQTTnet.Adapter.MqttConnectingFailedException)
            {
                // Refused: a wrong password, or credentials the broker has not reloaded yet.
            }

            client.Dispose();
            if (expectRefusal || attempt == 40)
            {
                return null;
            }

            await Task.Delay(250);
        }
    }
}
