using EdgeRuntime.Host.Api;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host;

/// <summary>
/// Hosting for the <c>edge-runtime</c> service: configuration aliases, logs, systemd integration,
/// graceful shutdown, and Kestrel bound to loopback (or a Unix socket) with the API's limits.
/// </summary>
internal static class HostingExtensions
{
    public static WebApplicationBuilder AddEdgeRuntimeHosting(this WebApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddCommandLine(args, CommandLineAliases.Map);

        if (string.Equals(builder.Configuration["EdgeRuntime:LogFormat"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }

        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o =>
            o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("EdgeRuntime:ShutdownTimeoutSeconds", 30)));

        var urls = ResolveUrls(builder.Configuration);
        builder.WebHost.UseUrls([.. urls]);
        builder.Services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .PostConfigure(o => o.Urls = urls)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes;
        });
        return builder;
    }

    /// <summary>The standard <c>urls</c> setting (or the loopback default), plus the Unix socket when one is configured.</summary>
    private static List<string> ResolveUrls(IConfiguration configuration)
    {
        var configured = configuration[WebHostDefaults.ServerUrlsKey];
        var urls = string.IsNullOrWhiteSpace(configured)
            ? [ApiOptions.DefaultUrl]
            : configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var socket = configuration[$"{ApiOptions.SectionName}:{nameof(ApiOptions.UnixSocket)}"];
        if (!string.IsNullOrWhiteSpace(socket))
        {
            var path = Path.GetFullPath(socket);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);

            // A socket file left by an earlier run that was killed would make the bind fail.
            File.Delete(path);
            urls.Add($"http://unix:{path}");
        }

        return urls;
    }
}
