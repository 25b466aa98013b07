using EdgeRuntime.Device;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;
using EdgeRuntime.Device.Serving;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Benchmarks.Pipeline;

/// <summary>
/// The host's serving path without HTTP: a model repository in a temporary directory, loaded with the
/// <c>default</c> device profile, behind a <see cref="ModelRouter"/>. <see cref="Serve"/> is what the infer
/// endpoint does with a body it has read: decode, route and run, encode.
/// </summary>
internal sealed class InProcessServer : IDisposable
{
    private readonly string _data;
    private readonly ModelRepository _repository;
    private readonly ModelRouter _router;
    private readonly RolloutMirrorWorker? _mirrorWorker;

    private InProcessServer(string data, ModelRepository repository, IPredictionObserver[] observers, RolloutTraffic? traffic = null)
    {
        _data = data;
        _repository = repository;
        _router = new ModelRouter(repository, new ResponseCache(Options.Create(new ResponseCacheOptions())), observers, traffic);
        if (traffic is not null)
        {
            _mirrorWorker = new RolloutMirrorWorker(traffic, _router, NullLogger<RolloutMirrorWorker>.Instance);
            _mirrorWorker.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    /// <summary>Writes each model into a fresh repository and loads them all, without telemetry.</summary>
    public static InProcessServer Start(params (string Name, byte[] Bytes)[] models) => Start(telemetry: null, models);

    /// <summary>
    /// As <see cref="Start(ValueTuple{string, byte[]}[])"/>; with <paramref name="telemetry"/>, the request path
    /// also feeds the per-model metric series and the drift detector (manifests with a baseline come from
    /// <paramref name="manifests"/>, by model name), as the host's does with telemetry on.
    /// </summary>
    public static InProcessServer Start(DeviceMetrics? telemetry, (string Name, byte[] Bytes)[] models, IReadOnlyDictionary<string, string>? manifests = null)
    {
        var data = Path.Combine(Path.GetTempPath(), $"edge-bench-{Guid.NewGuid():N}");
        foreach (var (name, bytes) in models)
        {
            var version = Path.Combine(data, "models", name, "1");
            Directory.CreateDirectory(version);
            File.WriteAllBytes(Path.Combine(version, "model.onnx"), bytes);
            if (manifests?.GetValueOrDefault(name) is { } manifest)
            {
                File.WriteAllText(Path.Combine(version, "manifest.json"), manifest);
            }
        }

        var options = Options.Create(new EdgeRuntimeOptions { DataDirectory = data, RepositoryPollSeconds = 0, InstallDemoModel = false });
        var factory = new ModelSessionFactory(DeviceProfiles.Load("default"), options.Value.CachePath, NullLogger<ModelSessionFactory>.Instance);
        var repository = new ModelRepository(options, factory, NullLogger<ModelRepository>.Instance, telemetry is null ? [] : [telemetry]);
        repository.ScanAsync().GetAwaiter().GetResult();
        if (!repository.IsReady)
        {
            repository.Dispose();
            throw new InvalidOperationException($"the benchmark models did not load: {string.Join("; ", repository.Index().Select(e => $"{e.Name}: {e.State} {e.Reason}"))}");
        }

        IPredictionObserver[] observers = telemetry is null
            ? []
            : [new DriftDetector(Options.Create(new DriftOptions()), NullLogger<DriftDetector>.Instance, TimeProvider.System)];
        return new InProcessServer(data, repository, observers);
    }

    /// <summary>
    /// One model in two identical versions (a config.json serves both) behind a router with rollout traffic and its
    /// mirror worker, as the host wires them; <paramref name="rollout"/> (of versions 1 → 2), when given, is in the
    /// table. Without one, unversioned requests take the router's no-rollout path.
    /// </summary>
    public static InProcessServer StartWithRollout(string name, byte[] bytes, Func<string, ActiveRollout>? rollout)
    {
        var data = Path.Combine(Path.GetTempPath(), $"edge-bench-{Guid.NewGuid():N}");
        foreach (var version in new[] { "1", "2" })
        {
            Directory.CreateDirectory(Path.Combine(data, "models", name, version));
            File.WriteAllBytes(Path.Combine(data, "models", name, version, "model.onnx"), bytes);
        }

        File.WriteAllText(Path.Combine(data, "models", name, "config.json"), """{"version_policy": {"all": {}}}""");
        var options = Options.Create(new EdgeRuntimeOptions { DataDirectory = data, RepositoryPollSeconds = 0, InstallDemoModel = false });
        var factory = new ModelSessionFactory(DeviceProfiles.Load("default"), options.Value.CachePath, NullLogger<ModelSessionFactory>.Instance);
        var repository = new ModelRepository(options, factory, NullLogger<ModelRepository>.Instance);
        repository.ScanAsync().GetAwaiter().GetResult();
        var table = new RolloutTable();
        if (rollout is not null)
        {
            table.Set(rollout(name));
        }

        var traffic = new RolloutTraffic(table, Options.Create(new RolloutOptions()), [], NullLogger<RolloutTraffic>.Instance);
        return new InProcessServer(data, repository, [], traffic);
    }

    /// <summary>Decodes <paramref name="body"/>, runs it on <paramref name="model"/> and encodes the response into <paramref name="output"/>.</summary>
    public int? Serve(string model, ReadOnlyMemory<byte> body, int? inferenceHeaderLength, PooledBuffer output)
    {
        using var request = InferenceRequestReader.Read(body, inferenceHeaderLength);
        // Unbatched models answer synchronously, as the endpoint sees it; a batched one would complete later.
        var pending = _router.InferAsync(model, null, request);
        using var response = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        return InferenceResponseWriter.Write(response, request, output);
    }

    public void Dispose()
    {
        _mirrorWorker?.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _mirrorWorker?.Dispose();
        _repository.Dispose();
        Directory.Delete(_data, recursive: true);
    }
}
