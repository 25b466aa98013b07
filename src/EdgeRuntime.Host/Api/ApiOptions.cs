namespace EdgeRuntime.Host.Api;

/// <summary>The loopback API's settings, from <c>EdgeRuntime:Api</c>. Listen addresses come from the standard <c>urls</c> setting.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "EdgeRuntime:Api";

    /// <summary>The address used when no <c>urls</c> setting is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>Also listen on this Unix domain socket (e.g. <c>/run/edge-runtime/api.sock</c>).</summary>
    public string? UnixSocket { get; set; }

    /// <summary>When set, every call but the health probes needs <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public string? AccessToken { get; set; }

    /// <summary>When set, calls that change the device (repository load and unload, rollouts, batch job submit and cancel) need this bearer token.</summary>
    public string? AdminToken { get; set; }

    /// <summary>The largest request body accepted, in bytes; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Let the API listen beyond loopback. Refused unless every such address is https and an access token is set.</summary>
    public bool AllowRemote { get; set; }

    /// <summary>The addresses Kestrel listens on, resolved at start from <c>urls</c>, the default and <see cref="UnixSocket"/>.</summary>
    public IReadOnlyList<string> Urls { get; set; } = [];
}
