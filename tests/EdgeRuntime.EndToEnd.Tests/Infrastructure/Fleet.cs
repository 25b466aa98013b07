using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests.Infrastructure;

/// <summary>Which broker devices and hub meet on: the hub's embedded MQTTnet broker, or a real mosquitto.</summary>
public enum BrokerKind
{
    Embedded,
    Mosquitto,
}

/// <summary>
/// One test's fleet: a real <c>edge-hub</c> on the chosen broker, its fleet API, and the <c>edge-runtime</c> devices
/// started against it. Everything runs as child processes on loopback and is killed by its id at the end.
/// </summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly List<EdgeRuntimeProcess> _devices = [];
    private readonly string _hubPassword = Convert.ToHexString(Guid.NewGuid().ToByteArray());

    private Fleet(BrokerKind kind, string root)
    {
        Kind = kind;
        Root = root;
    }

    public BrokerKind Kind { get; }

    /// <summary>The test's scratch directory: hub data, broker files and device data directories live under it.</summary>
    public string Root { get; }

    public HubProcess Hub { get; private set; } = null!;

    public MosquittoBroker? Mosquitto { get; private set; }

    public HttpClient Api { get; private set; } = null!;

    public int BrokerPort => Mosquitto?.Port ?? Hub.BrokerPort;

    public string HubDataDirectory => Path.Combine(Root, "hub");

    public static async Task<Fleet> StartAsync(BrokerKind kind)
    {
        var fleet = new Fleet(kind, TestRepository.NewDataDirectory($"fleet-{kind}".ToLowerInvariant()));
        try
        {
            if (kind == BrokerKind.Mosquitto)
            {
                fleet.Mosquitto = await MosquittoBroker.StartAsync(Path.Combine(fleet.Root, "mosquitto")).ConfigureAwait(false);
            }

            await fleet.StartHubAsync(kind == BrokerKind.Embedded ? FreePort.Next() : 0).ConfigureAwait(false);
            return fleet;
        }
        catch
        {
            // Whatever started before the failure is stopped by its id here, since no test will dispose the fleet.
            await fleet.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Registers a device and returns the password the hub issued (once) for it.</summary>
    public async Task<string> RegisterDeviceAsync(string deviceId, params string[] tags)
    {
        var body = new JsonObject { ["id"] = deviceId, ["tags"] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]) };
        var response = await SendAsync(HttpMethod.Post, "/api/devices", body).ConfigureAwait(false);
        return response!["password"]!.GetValue<string>();
    }

    /// <summary>Uploads a model version's ONNX bytes and returns the hub's answer (name, version, artifact).</summary>
    public async Task<JsonNode> UploadModelAsync(string name, int version, byte[] onnx)
    {
        using var content = new ByteArrayContent(onnx);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await Api.PutAsync($"/api/models/{name}/versions/{version}", content).ConfigureAwait(false);
        return await ReadAsync(response, $"upload {name}:{version}").ConfigureAwait(false);
    }

    /// <summary>Assigns a model version to one device; the hub publishes the device's new desired state.</summary>
    public Task<JsonNode?> AssignAsync(string model, int version, string deviceId) =>
        SendAsync(HttpMethod.Post, "/api/assignments", new JsonObject { ["model"] = model, ["version"] = version.ToString(CultureInfo.InvariantCulture), ["device_id"] = deviceId });

    /// <summary>The device's events of <paramref name="type"/> as the hub stored them, oldest first.</summary>
    public async Task<JsonArray> EventsAsync(string deviceId, string type)
    {
        var node = await SendAsync(HttpMethod.Get, $"/api/events?device_id={deviceId}&type={type}&limit=10000").ConfigureAwait(false);
        return node!.AsArray();
    }

    /// <summary>The hub's count, sequence range and missing count of the device's records.</summary>
    public async Task<(long Count, long First, long Last, long Missing)> SummaryAsync(string deviceId)
    {
        var node = (await SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}/records/summary").ConfigureAwait(false))!;
        return (node["count"]!.GetValue<long>(), node["first_seq"]?.GetValue<long>() ?? 0, node["last_seq"]?.GetValue<long>() ?? 0, node["missing"]!.GetValue<long>());
    }

    /// <summary>The device as the fleet API shows it, with its last reported status.</summary>
    public async Task<JsonNode> DeviceAsync(string deviceId) => (await SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}").ConfigureAwait(false))!;

    /// <summary>
    /// Starts <c>edge-runtime</c> with its hub link on, connected as <paramref name="deviceId"/>; its model repository
    /// is under <paramref name="dataDirectory"/>/models. Reconnects are quick so outages in tests stay short.
    /// </summary>
    public async Task<EdgeRuntimeProcess> StartDeviceAsync(string deviceId, string password, string dataDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["EdgeRuntime__Sync__Enabled"] = "true",
            ["EdgeRuntime__Sync__DeviceId"] = deviceId,
            ["EdgeRuntime__Sync__Password"] = password,
            ["EdgeRuntime__Sync__Host"] = "127.0.0.1",
            ["EdgeRuntime__Sync__Port"] = BrokerPort.ToString(CultureInfo.InvariantCulture),
            ["EdgeRuntime__Sync__ReconnectMinDelayMs"] = "100",
            ["EdgeRuntime__Sync__ReconnectMaxDelayMs"] = "1000",
            ["EdgeRuntime__Sync__ChunkTimeoutSeconds"] = "10",
            // No periodic status within a test: what the hub learns comes from connects and model changes.
            ["EdgeRuntime__Sync__StatusIntervalSeconds"] = "3600",

            // Devices trust what the hub signs: it wraps and signs every version it distributes.
            ["EdgeRuntime__Packages__TrustedKeys__0"] = Path.Combine(HubDataDirectory, "signing-key.pub.pem"),
            ["EdgeRuntime__InstallDemoModel"] = "false",
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        var device = await EdgeRuntimeProcess.StartAsync(dataDirectory, environment: settings).ConfigureAwait(false);
        _devices.Add(device);
        return device;
    }

    /// <summary>Takes the broker away: the mosquitto process stops (SIGTERM), or the hub with its embedded broker is killed (SIGKILL).</summary>
    public async Task StopBrokerAsync()
    {
        if (Mosquitto is not null)
        {
            await Mosquitto.StopAsync().ConfigureAwait(false);
        }
        else
        {
            await Hub.KillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Brings the broker back on the same port with the state it kept.</summary>
    public async Task StartBrokerAsync()
    {
        if (Mosquitto is not null)
        {
            await Mosquitto.StartAgainAsync().ConfigureAwait(false);
        }
        else
        {
            var port = Hub.BrokerPort;
            await Hub.DisposeAsync().ConfigureAwait(false);
            Api.Dispose();
            await StartHubAsync(port).ConfigureAwait(false);
        }
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Api.SendAsync(request).ConfigureAwait(false);
        return await ReadAsync(response, $"{method} {path}").ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in _devices)
        {
            await device.DisposeAsync().ConfigureAwait(false);
        }

        Api?.Dispose();
        if (Hub is not null)
        {
            await Hub.DisposeAsync().ConfigureAwait(false);
        }

        if (Mosquitto is not null)
        {
            await Mosquitto.DisposeAsync().ConfigureAwait(false);
        }

        TestRepository.Delete(Root);
    }

    /// <summary>Everything the fleet's processes wrote, for a failure message.</summary>
    public string Logs(EdgeRuntimeProcess? device = null) =>
        $"--- hub ---\n{Hub.Output}\n--- device ---\n{device?.Output}\n--- mosquitto ---\n{Mosquitto?.Output}";

    private async Task StartHubAsync(int embeddedPort)
    {
        Hub = Mosquitto is null
            ? await HubProcess.StartEmbeddedAsync(HubDataDirectory, embeddedPort).ConfigureAwait(false)
            : await HubProcess.StartExternalAsync(HubDataDirectory, Mosquitto, _hubPassword).ConfigureAwait(false);
        Api = Hub.CreateClient();
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new AssertionException($"{what}: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text)!;
    }
}
