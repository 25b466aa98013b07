using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Deployment;

/// <summary>
/// The models a device serves, read from a directory in Triton's layout
/// (<c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>, optional <c>config.json</c> and <c>manifest.json</c>).
/// Loads, reloads and unloads one model at a time without disturbing the others; a swapped-out session
/// drains its running requests before it closes. A model with a <c>rollout.json</c> (written by the rollout
/// controller) serves exactly its stable and candidate versions, unversioned requests going to the stable one;
/// other models follow their version policy.
/// </summary>
public sealed partial class ModelRepository : IDisposable
{
    private const string ConfigFileName = "config.json";
    private const string ManifestFileName = "manifest.json";

    /// <summary>The rollout controller's state file in a model's directory.</summary>
    public const string RolloutFileName = "rollout.json";
    private const string DefaultModelFileName = "model.onnx";

    private readonly ConcurrentDictionary<string, ModelSlot> _models = new(StringComparer.Ordinal);
    private readonly ModelSessionFactory _factory;
    private readonly VersionPolicy _defaultPolicy;
    private readonly ILogger _logger;
    private readonly IModelLifecycleObserver[] _observers;

    public ModelRepository(
        IOptions<EdgeRuntimeOptions> options,
        ModelSessionFactory factory,
        ILogger<ModelRepository> logger,
        IEnumerable<IModelLifecycleObserver>? observers = null)
    {
        Root = options.Value.ModelRepositoryPath;
        _factory = factory;
        _logger = logger;
        _observers = observers?.ToArray() ?? [];
        _defaultPolicy = VersionPolicy.TryParse(options.Value.VersionPolicy, out var policy) ? policy : VersionPolicy.LatestOne;
    }

    /// <summary>The repository directory.</summary>
    public string Root { get; }

    /// <summary>True when every model that should serve has all its selected versions ready.</summary>
    public bool IsReady => _models.Values.All(slot =>
        slot.UnloadedByRequest || (slot.Versions.Count > 0 && slot.Versions.All(v => !v.Selected || v.State == ModelState.Ready)));

    /// <summary>Brings every model in line with the directory: new and changed versions load, removed ones unload.</summary>
    public async Task ScanAsync(CancellationToken cancellationToken = default)
    {
        var onDisk = Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(IsValidName).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var name in onDisk.Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slot = _models.GetOrAdd(name, static _ => new ModelSlot());
            if (!slot.UnloadedByRequest)
            {
                await ReconcileAsync(name, slot, force: false, configOverride: null, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var name in _models.Keys.Where(n => !onDisk.Contains(n)).ToList())
        {
            if (_models.TryGetValue(name, out var slot))
            {
                await ReconcileAsync(name, slot, force: false, configOverride: null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Loads or reloads a model (the repository extension's load): re-reads its directory, writes uploaded
    /// files first, and fails with the reasons when no version ends up ready.
    /// </summary>
    public async Task LoadAsync(string name, ModelConfig? configOverride = null, IReadOnlyDictionary<string, byte[]>? files = null, CancellationToken cancellationToken = default)
    {
        if (!IsValidName(name))
        {
            throw InferenceException.BadRequest($"'{name}' is not a valid model name");
        }

        var slot = _models.GetOrAdd(name, static _ => new ModelSlot());
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (files is { Count: > 0 })
            {
                WriteUploadedFiles(name, files);
            }

            if (!Directory.Exists(Path.Combine(Root, name)))
            {
                _models.TryRemove(new KeyValuePair<string, ModelSlot>(name, slot));
                throw InferenceException.NotFound($"model '{name}' is not in the repository {Root}");
            }

            slot.UnloadedByRequest = false;
            await ReconcileLockedAsync(name, slot, force: true, configOverride, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }

        if (!slot.Versions.Any(v => v.State == ModelState.Ready))
        {
            var reasons = slot.Versions.Count == 0 ? "no version directory holds a model file" : string.Join("; ", slot.Versions.Select(v => $"version {v.Version}: {v.Reason}"));
            throw InferenceException.BadRequest($"failed to load model '{name}': {reasons}");
        }
    }

    /// <summary>
    /// Brings one model in line with its directory without reloading what is unchanged (the periodic scan's rule, for
    /// one model): the rollout controller calls it after each change to <c>rollout.json</c>.
    /// </summary>
    public async Task RefreshAsync(string name, CancellationToken cancellationToken = default)
    {
        var slot = _models.GetOrAdd(name, static _ => new ModelSlot());
        if (!slot.UnloadedByRequest)
        {
            await ReconcileAsync(name, slot, force: false, configOverride: null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Unloads every version of a model; requests already running finish first. It stays unloaded until loaded again.</summary>
    public async Task UnloadAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_models.TryGetValue(name, out var slot))
        {
            throw InferenceException.NotFound($"unknown model '{name}'");
        }

        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            slot.UnloadedByRequest = true;
            var old = slot.Versions;
            slot.Versions = [.. old.Select(v => v with { State = ModelState.Unavailable, Reason = "unloaded", Session = null })];
            Retire(old, slot.Versions);
            LogUnloaded(name);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>Every model in the repository and every version it holds, with state and reason.</summary>
    public IReadOnlyList<ModelIndexEntry> Index()
    {
        var entries = new List<ModelIndexEntry>();
        var names = _models.Keys.ToHashSet(StringComparer.Ordinal);
        if (Directory.Exists(Root))
        {
            names.UnionWith(Directory.EnumerateDirectories(Root).Select(Path.GetFileName).OfType<string>().Where(IsValidName));
        }

        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (!_models.TryGetValue(name, out var slot) || slot.Versions.Count == 0)
            {
                entries.Add(new ModelIndexEntry(name, null, ModelState.Unavailable, slot?.UnloadedByRequest == true ? "unloaded" : "not loaded"));
                continue;
            }

            entries.AddRange(slot.Versions.OrderBy(v => v.Version).Select(v => new ModelIndexEntry(name, Format(v.Version), v.State, v.Reason)));
        }

        return entries;
    }

    /// <summary>The versions of a model as the repository knows them, newest first; null for an unknown model.</summary>
    public IReadOnlyList<ModelVersionStatus>? Find(string name) => _models.TryGetValue(name, out var slot) ? slot.Versions : null;

    /// <summary>
    /// Leases the session that serves <paramref name="name"/> at <paramref name="version"/> (the newest ready
    /// one when null). The caller must <see cref="ModelSession.Release"/> it.
    /// </summary>
    /// <exception cref="InferenceException">NotFound for an unknown model or version, Unavailable when it is not ready.</exception>
    public ModelSession Acquire(string name, string? version) => Acquire(name, version, allowStaging: false);

    /// <summary>
    /// Leases a candidate that is still staging (for its smoke test); <see cref="Acquire(string, string?)"/> refuses it,
    /// because a version serves nothing before its smoke test has passed.
    /// </summary>
    internal ModelSession AcquireForStaging(string name, string version) => Acquire(name, version, allowStaging: true);

    private ModelSession Acquire(string name, string? version, bool allowStaging)
    {
        while (true)
        {
            var snapshot = _models.TryGetValue(name, out var slot) ? slot.Current : ModelSnapshot.Empty;
            var status = SelectVersion(name, version, snapshot, allowStaging);
            if (status.Session!.TryAcquire())
            {
                return status.Session;
            }

            // Retired between the read and the lease: the slot already holds its replacement (or none).
            Thread.Yield();
        }
    }

    /// <summary>The version to serve; allocation-free on the success paths, because every request comes through here.</summary>
    private static ModelVersionStatus SelectVersion(string name, string? version, ModelSnapshot snapshot, bool allowStaging)
    {
        var versions = snapshot.Versions;
        if (versions.Length == 0)
        {
            throw InferenceException.NotFound($"unknown model '{name}'");
        }

        if (version is null)
        {
            ModelVersionStatus? fallback = null;
            foreach (var status in versions)
            {
                if (status.State != ModelState.Ready)
                {
                    continue;
                }

                if (snapshot.Rollout is null || status.Version == snapshot.Stable)
                {
                    return status;
                }

                // A candidate answers only once it is past staging and the stable version cannot.
                if (status.Version == snapshot.Candidate && !snapshot.CandidateStaging)
                {
                    fallback = status;
                }
            }

            return fallback ?? throw new InferenceException(InferenceErrorKind.Unavailable, snapshot.Rollout is { } rollout
                ? $"model '{name}' has no ready version to serve: stable version {rollout.Stable ?? "none"}; {Reasons(versions)}"
                : $"model '{name}' has no ready version: {Reasons(versions)}");
        }

        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw InferenceException.NotFound($"model '{name}' has no version '{version}' (versions are whole numbers)");
        }

        foreach (var status in versions)
        {
            if (status.Version != number)
            {
                continue;
            }

            if (status.State != ModelState.Ready)
            {
                throw new InferenceException(InferenceErrorKind.Unavailable, $"model '{name}' version {version} is not ready: {status.Reason}");
            }

            return !allowStaging && snapshot.CandidateStaging && number == snapshot.Candidate
                ? throw new InferenceException(InferenceErrorKind.Unavailable, $"model '{name}' version {version} is being staged and serves nothing until its smoke test passes")
                : status;
        }

        throw InferenceException.NotFound($"model '{name}' has no version {version}; it has {string.Join(", ", versions.Select(v => v.Version).Order())}");

        static string Reasons(ModelVersionStatus[] versions) => string.Join("; ", versions.Select(v => $"version {v.Version}: {v.Reason}"));
    }

    private async Task ReconcileAsync(string name, ModelSlot slot, bool force, ModelConfig? configOverride, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReconcileLockedAsync(name, slot, force, configOverride, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task ReconcileLockedAsync(string name, ModelSlot slot, bool force, ModelConfig? configOverride, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Root, name);
        var old = slot.Versions;
        if (!Directory.Exists(directory))
        {
            _models.TryRemove(new KeyValuePair<string, ModelSlot>(name, slot));
            slot.Versions = [];
            Retire(old, slot.Versions);
            if (old.Count > 0)
            {
                LogRemoved(name);
            }

            return;
        }

        ModelConfig? config;
        try
        {
            config = configOverride ?? ReadConfig(directory);
        }
        catch (InvalidDataException ex)
        {
            // A broken config.json stops changes to this model; whatever it served keeps serving.
            slot.Versions = [.. old.Select(v => v with { Reason = ex.Message })];
            LoadFailed(name, "-", ex.Message);
            return;
        }

        var fileName = ModelFileName(config);
        var policy = VersionPolicy.From(config?.VersionPolicy, _defaultPolicy);
        var onDisk = VersionsOnDisk(directory, fileName);
        var rollout = ReadRollout(directory);
        IReadOnlyList<long> selected = rollout is null ? policy.Select(onDisk) : [.. onDisk.Where(v => rollout.Serving().Contains(Format(v)))];
        if (rollout is not null && selected.Count == 0)
        {
            // The versions rollout.json names are gone: serve what the policy finds rather than nothing.
            selected = policy.Select(onDisk);
        }

        var notSelected = rollout is null ? $"not selected by version policy {policy}" : $"kept for rollback; the rollout serves version {rollout.Stable ?? "none"}";

        var next = new List<ModelVersionStatus>();
        foreach (var version in onDisk.OrderDescending())
        {
            var existing = old.FirstOrDefault(v => v.Version == version);
            if (!selected.Contains(version))
            {
                next.Add(new ModelVersionStatus(version, ModelState.Unavailable, notSelected, null, null, Selected: false));
                continue;
            }

            var path = Path.Combine(directory, Format(version), fileName);
            var stamp = FileStamp.Of(path);
            if (!force && existing is { Session: not null } && existing.Stamp == stamp && SameConfig(existing.Session.Config, config))
            {
                next.Add(existing);
                continue;
            }

            if (!force && existing is { Session: null, State: ModelState.Unavailable } && existing.Stamp == stamp && existing.Stamp is not null)
            {
                // Failed before and unchanged since: do not retry on every poll.
                next.Add(existing);
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var session = await Task.Run(() => LoadVersion(name, version, path, config), cancellationToken).ConfigureAwait(false);
                next.Add(new ModelVersionStatus(version, ModelState.Ready, "", session, stamp, Selected: true));
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                LoadFailed(name, Format(version), ex.Message);
                next.Add(existing is { Session: not null }
                    ? existing with { Reason = $"reload failed, still serving the earlier load: {ex.Message}" }
                    : new ModelVersionStatus(version, ModelState.Unavailable, ex.Message, null, stamp, Selected: true));
            }
        }

        slot.Publish(next, rollout);
        Retire(old, slot.Versions);
    }

    /// <summary>Whether a loaded version's configuration still holds; a changed one (batching, caching) reloads it.</summary>
    private static bool SameConfig(ModelConfig? loaded, ModelConfig? current) =>
        JsonSerializer.Serialize(loaded, ContractsJsonContext.Default.ModelConfig) == JsonSerializer.Serialize(current, ContractsJsonContext.Default.ModelConfig);

    private ModelSession LoadVersion(string name, long version, string path, ModelConfig? config)
    {
        var manifest = ReadManifest(Path.GetDirectoryName(path)!);
        var properties = new Dictionary<string, string>();
        if (manifest?.Description is { } description)
        {
            properties["description"] = description;
        }

        if (manifest?.Labels is { Count: > 0 } labels)
        {
            properties["labels"] = string.Join(",", labels);
        }

        var quantization = QuantizationInspector.Inspect(path);
        properties["quantization"] = manifest?.Quantization ?? quantization.Format.ToString().ToUpperInvariant();
        if (quantization.Format is not (QuantizationFormat.None or QuantizationFormat.Unknown))
        {
            properties["quantization_mode"] = quantization.Mode.ToString().ToLowerInvariant();
            properties["quantization_weight_type"] = quantization.WeightType.ToString().ToLowerInvariant();
            properties["quantization_activation_type"] = quantization.ActivationType.ToString().ToLowerInvariant();
        }

        var session = _factory.Create(name, Format(version), path, properties);
        try
        {
            CheckManifest(manifest, session);
            Serving.BatchingOptions.From(config, session.Inputs, session.Outputs);
            session.Config = config;
            session.Manifest = manifest;
            foreach (var observer in _observers)
            {
                observer.OnLoaded(session);
            }

            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static void CheckManifest(ModelManifest? manifest, ModelSession session)
    {
        Compare("input", manifest?.Inputs, session.Inputs);
        Compare("output", manifest?.Outputs, session.Outputs);

        static void Compare(string kind, IReadOnlyList<ManifestTensor>? promised, IReadOnlyList<TensorMetadata> actual)
        {
            foreach (var tensor in promised ?? [])
            {
                var match = actual.FirstOrDefault(a => a.Name == tensor.Name);
                if (match is null || match.DataType.ToWireName() != tensor.Datatype || !match.Shape.SequenceEqual(tensor.Shape))
                {
                    var found = match is null ? "no such tensor" : $"{match.DataType.ToWireName()} {InferenceTensor.FormatShape(match.Shape)}";
                    throw new InvalidDataException($"manifest.json promises {kind} '{tensor.Name}' {tensor.Datatype} {InferenceTensor.FormatShape([.. tensor.Shape])} but the model has {found}");
                }
            }
        }
    }

    private void WriteUploadedFiles(string name, IReadOnlyDictionary<string, byte[]> files)
    {
        foreach (var (relative, content) in files)
        {
            // "file:<version>/<name>": the version must be a number and the name a plain file name.
            var parts = relative.Split('/');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out _) || !IsValidName(parts[1]))
            {
                throw InferenceException.BadRequest($"file parameter 'file:{relative}' must be 'file:<version>/<file name>'");
            }

            var directory = Path.Combine(Root, name, parts[0]);
            Directory.CreateDirectory(directory);
            var target = Path.Combine(directory, parts[1]);
            var temporary = target + ".upload";
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, target, overwrite: true);
        }
    }

    /// <summary>The <c>config.json</c> in a model's directory; null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid model configuration.</exception>
    internal static ModelConfig? ReadConfig(string modelDirectory) =>
        ReadJson(Path.Combine(modelDirectory, ConfigFileName), ContractsJsonContext.Default.ModelConfig);

    /// <summary>The <c>manifest.json</c> in a version's directory; null when it has none.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid manifest.</exception>
    internal static ModelManifest? ReadManifest(string versionDirectory) =>
        ReadJson(Path.Combine(versionDirectory, ManifestFileName), ContractsJsonContext.Default.ModelManifest);

    /// <summary>The <c>rollout.json</c> in a model's directory; null when it has none.</summary>
    internal static RolloutState? ReadRollout(string modelDirectory) =>
        DurableFile.Read(Path.Combine(modelDirectory, RolloutFileName), RolloutJsonContext.Default.RolloutState);

    /// <summary>The model file's name in each version directory under <paramref name="config"/>.</summary>
    internal static string ModelFileName(ModelConfig? config) => config?.DefaultModelFilename ?? DefaultModelFileName;

    /// <summary>The numbered version directories of a model that hold its model file, in no particular order.</summary>
    internal static List<long> VersionsOnDisk(string modelDirectory, string fileName) =>
        [.. Directory.EnumerateDirectories(modelDirectory)
            .Select(d => long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1)
            .Where(v => v >= 0 && File.Exists(Path.Combine(modelDirectory, Format(v), fileName)))];

    private static T? ReadJson<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, typeInfo);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: {ex.Message}", ex);
        }
    }

    private void Retire(IReadOnlyList<ModelVersionStatus> old, IReadOnlyList<ModelVersionStatus> current)
    {
        foreach (var status in old)
        {
            if (status.Session is { } session && !current.Any(c => ReferenceEquals(c.Session, session)))
            {
                foreach (var observer in _observers)
                {
                    observer.OnRetired(session);
                }

                session.Dispose();
            }
        }
    }

    private void LoadFailed(string model, string version, string reason)
    {
        LogLoadFailed(model, version, reason);
        foreach (var observer in _observers)
        {
            observer.OnLoadFailed(model, version, reason);
        }
    }

    /// <summary>A name that is one plain, visible directory entry (no separators, not hidden, not <c>.</c> or <c>..</c>).</summary>
    internal static bool IsValidName(string name) =>
        name.Length is > 0 and <= 200 && name != "." && name != ".." && !name.StartsWith('.') && name.IndexOfAny(['/', '\\', '\0']) < 0;

    private static string Format(long version) => version.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var slot in _models.Values)
        {
            Retire(slot.Versions, []);
            slot.Versions = [];
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Model {Model} version {Version} failed to load: {Reason}")]
    private partial void LogLoadFailed(string model, string version, string reason);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Model {Model} unloaded")]
    private partial void LogUnloaded(string model);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Model {Model} removed from the repository; its versions are unloaded")]
    private partial void LogRemoved(string model);

    /// <summary>What a model serves, replaced whole so that a reader sees versions and rollout from the same reconcile.</summary>
    private sealed record ModelSnapshot(ModelVersionStatus[] Versions, RolloutState? Rollout)
    {
        public static ModelSnapshot Empty { get; } = new([], null);

        /// <summary>The rollout's stable version; -1 without one.</summary>
        public long Stable { get; } = VersionOf(Rollout?.Stable);

        /// <summary>The rollout's candidate; -1 without one.</summary>
        public long Candidate { get; } = VersionOf(Rollout?.Candidate);

        public bool CandidateStaging { get; } = Rollout is { Candidate: not null, Phase: RolloutPhases.Staging };

        private static long VersionOf(string? text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : -1;
    }

    private sealed class ModelSlot
    {
        // Replaced whole, never mutated: readers take a consistent snapshot without locking.
        private volatile ModelSnapshot _current = ModelSnapshot.Empty;
        private volatile bool _unloadedByRequest;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ModelSnapshot Current => _current;

        public IReadOnlyList<ModelVersionStatus> Versions
        {
            get => _current.Versions;
            set => _current = new ModelSnapshot([.. value], _current.Rollout);
        }

        public void Publish(IReadOnlyList<ModelVersionStatus> versions, RolloutState? rollout) => _current = new ModelSnapshot([.. versions], rollout);

        public bool UnloadedByRequest
        {
            get => _unloadedByRequest;
            set => _unloadedByRequest = value;
        }
    }
}
