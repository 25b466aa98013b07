using System.Net.Http.Headers;
using System.Net.Sockets;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Hosting;

/// <summary>The edge-runtime process as a service: defaults, binding rules, configuration checks, tokens, shutdown.</summary>
[NonParallelizable]
public sealed class HostingTests
{
    private string _data = null!;

    [SetUp]
    public void CreateData() => _data = TestRepository.NewDataDirectory("hosting");

    [TearDown]
    public void DeleteData() => TestRepository.Delete(_data);

    [Test]
    public async Task Start_NoConfiguration_InstallsAndServesTheDemoModel()
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        await host.WaitReadyAsync();
        using var client = host.CreateClient();

        var (status, body) = await Oip.PostJsonAsync(client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        Assert.That(Oip.Floats(body!["outputs"]![0]!["data"])[2], Is.GreaterThan(0.9f), "[1,2,3,4] is 'rising'");
        Assert.That(File.Exists(Path.Combine(_data, "models", "demo", "1", "model.onnx")), Is.True);
        Assert.That(Directory.EnumerateFiles(Path.Combine(_data, "cache"), "*.onnx"), Is.Not.Empty, "the optimised model is cached for the next start");
    }

    [Test]
    public async Task Restart_UsesOptimizedModelCache()
    {
        await using (var first = await EdgeRuntimeProcess.StartAsync(_data))
        {
            await first.WaitReadyAsync();
        }

        await using var second = await EdgeRuntimeProcess.StartAsync(_data);
        await second.WaitReadyAsync();
        using var client = second.CreateClient();
        var (_, metadata) = await Oip.GetJsonAsync(client, "/v2/models/demo");
        Assert.That(metadata!["parameters"]!["optimized_model_cache"]!.GetValue<string>(), Is.EqualTo("hit"));
    }

    [TestCase("http://0.0.0.0:0")]
    [TestCase("http://*:0")]
    [TestCase("http://192.0.2.10:0")]
    public async Task Start_NonLoopbackBindWithoutTlsAndToken_RefusedWithReason(string url)
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data, ["--urls", url], waitForListening: false);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.Not.Zero);
        Assert.That(host.Output, Does.Contain("is not a loopback address"));
        Assert.That(host.Output, Does.Not.Contain("Now listening"));
    }

    [Test]
    public async Task Start_NonLoopbackHttpsWithoutToken_Refused()
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data, ["--urls", "https://0.0.0.0:0", "--EdgeRuntime:Api:AllowRemote", "true"], waitForListening: false);
        Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Zero);
        Assert.That(host.Output, Does.Contain("needs https and EdgeRuntime:Api:AccessToken"));
    }

    [TestCase("--profile", "no-such-profile", "EdgeRuntime:Profile")]
    [TestCase("--EdgeRuntime:VersionPolicy", "newest", "EdgeRuntime:VersionPolicy")]
    [TestCase("--EdgeRuntime:Api:MaxRequestBodyBytes", "-1", "EdgeRuntime:Api:MaxRequestBodyBytes")]
    public async Task Start_BadSetting_StopsNamingTheKey(string key, string value, string named)
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data, [key, value], waitForListening: false);
        Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.Not.Zero);
        Assert.That(host.Output, Does.Contain(named));
    }

    [Test]
    public async Task UnixSocket_ServesTheApi()
    {
        var socket = Path.Combine(_data, "api.sock");
        await using var host = await EdgeRuntimeProcess.StartAsync(_data, ["--socket", socket]);
        await host.WaitReadyAsync();

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellationToken);
                return new NetworkStream(unix, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri("http://localhost") };
        var (status, body) = await Oip.PostJsonAsync(client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [4, 3, 2, 1]));

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
    }

    [Test]
    public async Task AccessToken_RequiredExceptForHealth()
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data, ["--token", "s3cret"]);
        await host.WaitReadyAsync();
        using var client = host.CreateClient();

        var (anonymous, error) = await Oip.GetJsonAsync(client, "/v2/models/demo");
        Assert.That(anonymous, Is.EqualTo(401));
        Assert.That(Oip.ErrorOf(error), Does.Contain("bearer token"));
        Assert.That((await Oip.GetJsonAsync(client, "/v2/health/live")).Status, Is.EqualTo(200));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        Assert.That((await Oip.GetJsonAsync(client, "/v2/models/demo")).Status, Is.EqualTo(401));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.That((await Oip.GetJsonAsync(client, "/v2/models/demo")).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task Sigterm_ShutsDownGracefullyWithExitCodeZero()
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        await host.WaitReadyAsync();

        host.Terminate();
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.That(exitCode, Is.Zero, host.Output);
        Assert.That(host.Output, Does.Contain("Application is shutting down"));
    }

    [Test]
    public async Task ServerMetadata_ListsTheExtensions()
    {
        await using var host = await EdgeRuntimeProcess.StartAsync(_data);
        using var client = host.CreateClient();
        var (status, body) = await Oip.GetJsonAsync(client, "/v2");

        Assert.That(status, Is.EqualTo(200));
        Assert.That(body!["name"]!.GetValue<string>(), Is.EqualTo("edge-runtime"));
        Assert.That(body["extensions"]!.AsArray().Select(e => e!.GetValue<string>()), Is.EquivalentTo(new[] { "binary_tensor_data", "model_repository", "statistics" }));
        Assert.That((await Oip.GetJsonAsync(client, "/v2/health/live")).Body!["live"]!.GetValue<bool>(), Is.True);
    }
}
