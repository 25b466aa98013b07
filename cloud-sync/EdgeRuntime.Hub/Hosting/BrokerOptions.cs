namespace EdgeRuntime.Hub.Hosting;

/// <summary><c>Hub:Broker</c>: the embedded broker's endpoint, or the external broker the hub connects to.</summary>
internal sealed class BrokerOptions
{
    public BrokerMode Mode { get; set; } = BrokerMode.Embedded;

    /// <summary>Embedded: the address to listen on.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Embedded: the port to listen on (0 picks a free one); External: the broker's port.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>External: the broker's host name.</summary>
    public string Host { get; set; } = "127.0.0.1";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public bool UseTls { get; set; }

    /// <summary>External: the hub's client id; default <c>edge-hub-&lt;machine&gt;-&lt;pid&gt;</c>.</summary>
    public string? ClientId { get; set; }

    /// <summary>External: the shared-subscription group hub replicas split messages in; empty for plain subscriptions.</summary>
    public string SharedGroup { get; set; } = "hub";

    /// <summary>External: how long the broker keeps the hub's session (and its queued messages) while it is away.</summary>
    public int SessionExpirySeconds { get; set; } = 7 * 24 * 3600;
}
