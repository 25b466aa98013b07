using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeRuntime.Hub.Broker;

/// <summary>Builds the hub's outgoing MQTT messages (QoS 1) for either transport.</summary>
internal static class BrokerMessages
{
    public static MqttApplicationMessage Build(
        string topic,
        ReadOnlyMemory<byte> payload,
        bool retain,
        IReadOnlyList<KeyValuePair<string, string>>? userProperties,
        byte[]? correlationData,
        string? contentType)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayloadSegment(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain);
        if (correlationData is not null)
        {
            builder.WithCorrelationData(correlationData);
        }

        if (contentType is not null)
        {
            builder.WithContentType(contentType);
        }

        foreach (var (name, value) in userProperties ?? [])
        {
            builder.WithUserProperty(name, Encoding.UTF8.GetBytes(value).AsMemory());
        }

        return builder.Build();
    }
}
