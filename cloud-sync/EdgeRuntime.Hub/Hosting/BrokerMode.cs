namespace EdgeRuntime.Hub.Hosting;

/// <summary>Which MQTT broker the devices talk to.</summary>
internal enum BrokerMode
{
    /// <summary>An MQTTnet broker inside the hub process.</summary>
    Embedded,

    /// <summary>A broker of its own (mosquitto, EMQX, HiveMQ) the hub connects to as a client.</summary>
    External,
}
