using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeRuntime.Hub.Tests;

/// <summary>A real hub in this process: Kestrel on an ephemeral loopback port, the embedded broker on another, SQLite in a temp dir.</summary>
internal sealed class TestHub : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";

    private TestHub(WebApplication app, string dataDirectory, bool ownsDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
        OwnsDirectory = ownsDirectory;
        BaseAddress = new Uri(app.Urls.First());
        Http = new HttpClient { BaseAddress = BaseAddress };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int MqttPort => App.Services.GetRequiredService<EmbeddedBroker>().Port;

    private bool OwnsDirectory { get; set; }

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("edge-hub-test-").FullName;

    public static async Task<TestHub> StartAsync(string? dataDirectory = null, params string[] extra)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        string[] args = ["--urls", "http://127.0.0.1:0", "--data", dataDirectory, "--mqtt-port", "0", "--token", Token, "--Logging:LogLevel:Default", "Warning", .. extra];
        var app = HubApplication.Build(args);
        await app.StartAsync();
        return new TestHub(app, dataDirectory, owns);
    }

    public async Task<DeviceCredentialsResponse> RegisterAsync(string id, params string[] tags)
    {
        using var response = await Http.PostAsJsonAsync("/api/devices", new RegisterDeviceRequest { Id = id, Tags = tags }, FleetJsonContext.Default.RegisterDeviceRequest);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.DeviceCredentialsResponse))!;
    }

    public async Task<T> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var response = await Http.GetAsync(path);
        Assert.That(response.IsSuccessStatusCode, Is.True, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), type)!;
    }

    public async Task<ModelVersionResponse> UploadAsync(string name, int version, byte[] content)
    {
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await Http.PutAsync($"/api/models/{name}/versions/{version}", body);
        Assert.That((int)response.StatusCode, Is.EqualTo(201).Or.EqualTo(200), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.ModelVersionResponse))!;
    }

    /// <summary>The stored artifact's bytes (the hub-signed package an upload became), read from the hub's data directory.</summary>
    public byte[] ArtifactBytes(string artifactId) => File.ReadAllBytes(Path.Combine(DataDirectory, "artifacts", artifactId));

    public async Task<AssignmentResponse> AssignAsync(string model, int version, string? deviceId = null, string? tag = null)
    {
        using var response = await Http.PostAsJsonAsync(
            "/api/assignments",
            new AssignmentRequest { Model = model, Version = version.ToString(System.Globalization.CultureInfo.InvariantCulture), DeviceId = deviceId, Tag = tag },
            FleetJsonContext.Default.AssignmentRequest);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.AssignmentResponse))!;
    }

    /// <summary>Stops the hub but keeps its data directory (for restart tests).</summary>
    public async Task StopKeepingDataAsync()
    {
        OwnsDirectory = false;
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (OwnsDirectory)
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
