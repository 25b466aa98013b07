using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Inference.Onnx.Proto;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;
using Google.Protobuf;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>
/// A device's sync agent built from real parts, without the Host: a SQLite store with its recorder, a model repository
/// serving the demo model as version 1, and the MQTT link, uplink, deployment agent, status reporter and command handler.
/// </summary>
internal sealed class TestDevice : IAsyncDisposable
{
    private readonly List<BackgroundService> _services = [];
    private bool _started;

    public TestDevice(string dataDirectory, int port, Action<SyncOptions>? configure = null, string deviceId = "device-1", Microsoft.Extensions.Logging.ILogger? agentLogger = null)
    {
        DataDirectory = dataDirectory;
        Options = new SyncOptions
        {
            Enabled = true,
            DeviceId = deviceId,
            Port = port,
            ReconnectMinDelayMs = 50,
            ReconnectMaxDelayMs = 500,
            ChunkTimeoutSeconds = 5,
            StatusIntervalSeconds = 3600,
        };
        configure?.Invoke(Options);
        Directory.CreateDirectory(dataDirectory);
        Store = new TelemetryStore(Path.Combine(dataDirectory, "state.db"), 64L * 1024 * 1024, TimeSpan.FromDays(3650));
        Recorder = new TelemetryRecorder(Store, Microsoft.Extensions.Options.Options.Create(new TelemetryStoreOptions()), NullLogger<TelemetryRecorder>.Instance);
        var runtime = new EdgeRuntimeOptions { DataDirectory = dataDirectory, RepositoryPollSeconds = 0, InstallDemoModel = false };
        Repository = new ModelRepository(
            Microsoft.Extensions.Options.Options.Create(runtime),
            new ModelSessionFactory(new DeviceProfile(), null, NullLogger<ModelSessionFactory>.Instance),
            NullLogger<ModelRepository>.Instance);
        Link = new MqttHubLink(Options, NullLogger.Instance);
        Uplink = new TelemetryUplink(Link, Store, Options, NullLogger.Instance);
        var syncDirectory = Path.Combine(dataDirectory, "sync");
        Downloader = new ArtifactDownloader(Link, Options, Path.Combine(syncDirectory, "downloads"), NullLogger.Instance);
        // The in-process hub of these tests serves bare ONNX artifacts, which only a device that allows unsigned models takes.
        var trust = new PackageTrustProvider(Microsoft.Extensions.Options.Options.Create(new PackageOptions { AllowUnsigned = true }), NullLogger<PackageTrustProvider>.Instance);
        Rollouts = new RolloutController(
            Repository,
            new RolloutTable(),
            trust,
            Microsoft.Extensions.Options.Options.Create(new RolloutOptions()),
            Microsoft.Extensions.Options.Options.Create(runtime),
            NullLogger<RolloutController>.Instance,
            recorder: Recorder);
        Agent = new DeploymentAgent(Link, Downloader, Rollouts, Recorder, syncDirectory, agentLogger ?? NullLogger.Instance);
        Reporter = new DeviceStatusReporter(Link, () => SyncServiceCollectionExtensions.Snapshot(Link.DeviceId, Repository, Recorder, Agent.AppliedRevision, "default"), Options, NullLogger.Instance);
        Agent.AfterApply = Reporter.PublishAsync;
        Batches = new BatchJobService(
            Microsoft.Extensions.Options.Options.Create(runtime),
            Microsoft.Extensions.Options.Options.Create(new BatchOptions()),
            new DeviceProfile(),
            NullLoggerFactory.Instance,
            Recorder);
        Commands = new DeviceCommandHandler(Link, Uplink, Reporter, Agent, Rollouts, NullLogger.Instance, batches: Batches);
        _services.AddRange([Recorder, Rollouts, Batches, Link, Uplink, Agent, Reporter, Commands]);
    }

    public string DataDirectory { get; }

    public SyncOptions Options { get; }

    public TelemetryStore Store { get; }

    public TelemetryRecorder Recorder { get; }

    public ModelRepository Repository { get; }

    public MqttHubLink Link { get; }

    public TelemetryUplink Uplink { get; }

    public ArtifactDownloader Downloader { get; }

    public RolloutController Rollouts { get; }

    public DeploymentAgent Agent { get; }

    public DeviceStatusReporter Reporter { get; }

    public BatchJobService Batches { get; }

    public DeviceCommandHandler Commands { get; }

    /// <summary>The demo model with a marker in its metadata (and optional padding), so each variant has its own hash.</summary>
    public static byte[] DemoVariant(string marker, int paddingBytes = 0)
    {
        var model = ModelProto.Parser.ParseFrom(SyntheticModels.Demo().Bytes);
        model.MetadataProps.Add(new StringStringEntryProto { Key = "marker", Value = marker });
        if (paddingBytes > 0)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = "padding", Value = new string('p', paddingBytes) });
        }

        return model.ToByteArray();
    }

    /// <summary>Writes the demo model as version 1 of <c>demo</c> and loads the repository.</summary>
    public async Task InstallDemoV1Async()
    {
        var directory = Path.Combine(Repository.Root, "demo", "1");
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, "model.onnx"), SyntheticModels.Demo().Bytes);
        await Repository.ScanAsync();
    }

    /// <summary>The version that serves <c>demo</c> now (an acquired session's version).</summary>
    public string ServingVersion(string model = "demo")
    {
        var session = Repository.Acquire(model, null);
        try
        {
            return session.Version;
        }
        finally
        {
            session.Release();
        }
    }

    public async Task StartAsync()
    {
        _started = true;
        foreach (var service in _services)
        {
            await service.StartAsync(CancellationToken.None);
        }
    }

    public async Task StopAsync()
    {
        if (!_started)
        {
            return;
        }

        _started = false;
        foreach (var service in Enumerable.Reverse(_services))
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var service in _services)
        {
            service.Dispose();
        }

        Repository.Dispose();
        Store.Dispose();
    }
}
