using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text.RegularExpressions;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The real <c>edge-hub</c> started as a child process with its own data directory: HTTP API on an ephemeral
/// loopback port, and either its embedded broker on <see cref="BrokerPort"/> or an external mosquitto.
/// Disposing it kills the process by its id.
/// </summary>
internal sealed partial class HubProcess : IAsyncDisposable
{
    public const string Token = "e2e-hub-token-0123456789";

    private readonly ChildProcess _process;

    private HubProcess(ChildProcess process, string dataDirectory, int brokerPort)
    {
        _process = process;
        DataDirectory = dataDirectory;
        BrokerPort = brokerPort;
    }

    public string DataDirectory { get; }

    public int BrokerPort { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public string Output => _process.Output;

    /// <summary>The built <c>edge-hub.dll</c> (same configuration as the tests).</summary>
    public static string HubAssembly
    {
        get
        {
            var output = typeof(HubProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HubOutput").Value!;
            return Path.Combine(SourceTree.Root, output, "edge-hub.dll");
        }
    }

    /// <summary>Starts the hub on its embedded broker at <paramref name="brokerPort"/> (reuse it to restart the same broker).</summary>
    public static Task<HubProcess> StartEmbeddedAsync(string dataDirectory, int brokerPort, IEnumerable<string>? args = null) =>
        StartAsync(dataDirectory, brokerPort, ["--Hub:Broker:Mode", "Embedded", "--Hub:Broker:Port", brokerPort.ToString(CultureInfo.InvariantCulture), .. args ?? []], waitForBroker: true);

    /// <summary>Starts the hub against <paramref name="broker"/>, keeping its password and ACL files and signalling reloads.</summary>
    public static Task<HubProcess> StartExternalAsync(string dataDirectory, MosquittoBroker broker, string hubPassword, IEnumerable<string>? args = null) =>
        StartAsync(dataDirectory, broker.Port,
        [
            "--Hub:Broker:Mode", "External",
            "--Hub:Broker:Host", "127.0.0.1",
            "--Hub:Broker:Port", broker.Port.ToString(CultureInfo.InvariantCulture),
            "--Hub:Broker:Username", "edge-hub",
            "--Hub:Broker:Password", hubPassword,
            "--Hub:Mosquitto:PasswordFile", broker.PasswordFile,
            "--Hub:Mosquitto:AclFile", broker.AclFile,
            "--Hub:Mosquitto:PidFile", broker.PidFile,
            .. args ?? [],
        ], waitForBroker: false);

    /// <summary>An API client with the hub's bearer token.</summary>
    public HttpClient CreateClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    /// <summary>SIGKILL and wait.</summary>
    public Task KillAsync() => _process.KillAsync();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static async Task<HubProcess> StartAsync(string dataDirectory, int brokerPort, IReadOnlyList<string> args, bool waitForBroker)
    {
        Directory.CreateDirectory(dataDirectory);
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = dataDirectory };
        foreach (var argument in (string[])[HubAssembly, "--urls", "http://127.0.0.1:0", "--Hub:DataDirectory", dataDirectory, "--Hub:ApiToken", Token, .. args])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        var hub = new HubProcess(ChildProcess.Start(info), dataDirectory, brokerPort);
        try
        {
            var line = await hub._process.WaitForLineAsync(l => ListeningPattern().IsMatch(l), "edge-hub listening").ConfigureAwait(false);
            hub.BaseAddress = new Uri(ListeningPattern().Match(line).Groups[1].Value);
            if (waitForBroker)
            {
                await hub._process.WaitForLineAsync(l => l.Contains($"MQTT broker listening on 127.0.0.1:{brokerPort}", StringComparison.Ordinal), "embedded broker listening").ConfigureAwait(false);
            }

            return hub;
        }
        catch
        {
            await hub.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();
}
