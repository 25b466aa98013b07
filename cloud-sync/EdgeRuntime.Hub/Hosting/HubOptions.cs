using EdgeRuntime.Hub.Signing;

namespace EdgeRuntime.Hub.Hosting;

/// <summary>The <c>Hub</c> configuration section: where the hub keeps its data, who may call its API, and its broker.</summary>
internal sealed class HubOptions
{
    public const string SectionName = "Hub";

    /// <summary><c>hub.db</c>, <c>artifacts/</c> and the generated <c>api-token</c> live here; relative to the working directory.</summary>
    public string DataDirectory { get; set; } = "hub-data";

    /// <summary>Bearer token for <c>/api/*</c>; when unset, one is generated on first start and kept in <c>&lt;data&gt;/api-token</c>.</summary>
    public string? ApiToken { get; set; }

    /// <summary>Allow HTTP and broker binds beyond loopback.</summary>
    public bool AllowRemote { get; set; }

    public BrokerOptions Broker { get; set; } = new();

    public MosquittoOptions Mosquitto { get; set; } = new();

    public RetrainingOptions Retraining { get; set; } = new();

    public ArtifactOptions Artifacts { get; set; } = new();

    public SigningOptions Signing { get; set; } = new();

    /// <summary>The absolute data directory.</summary>
    public string DataPath => Path.GetFullPath(DataDirectory);
}
