using System.Net;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Api;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Deployments;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Ingest;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Retraining;
using EdgeRuntime.Hub.Signing;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Hosting;

/// <summary>Builds the hub: the table of contents of what runs in <c>edge-hub</c> (tests build it the same way).</summary>
internal static class HubApplication
{
    public const string DefaultUrl = "http://127.0.0.1:8090";

    /// <summary>Short command-line aliases of configuration keys.</summary>
    public static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "Hub:DataDirectory",
        ["--mqtt-port"] = "Hub:Broker:Port",
        ["--token"] = "Hub:ApiToken",
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var urls = builder.Configuration["urls"] ?? DefaultUrl;
        var allowRemote = builder.Configuration.GetValue<bool>($"{HubOptions.SectionName}:AllowRemote");
        if (!allowRemote && NonLoopback(urls) is { } remote)
        {
            throw new InvalidOperationException($"refusing to listen on {remote}: not a loopback address; set Hub:AllowRemote=true to allow it");
        }

        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, FleetJsonContext.Default));

        builder.Services.AddHubOptions(builder.Configuration);
        builder.Services.AddHubStore();
        builder.Services.AddRegistry();
        builder.Services.AddDesiredState();
        builder.Services.AddIngest();
        builder.Services.AddBroker(builder.Configuration);
        builder.Services.AddDeployments();
        builder.Services.AddRetraining();

        var app = builder.Build();

        // Made now rather than on the first upload: the key (generated on first start) and its public half in the data
        // directory exist as soon as the hub does, for devices to be configured with.
        app.Services.GetRequiredService<HubSigningKey>();
        app.MapFleetApi();
        return app;
    }

    /// <summary>The first URL whose host is not loopback; null when all are.</summary>
    public static string? NonLoopback(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
            host = host.Split('/')[0];
            host = host.StartsWith('[') ? host[1..host.IndexOf(']')] : host.Split(':')[0];
            var loopback = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
            if (!loopback)
            {
                return url;
            }
        }

        return null;
    }
}
