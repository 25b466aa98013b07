using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Applies the hub's retained desired state: for each listed model version that is neither stable nor rolling out with
/// the same artifact, downloads the artifact (<see cref="ArtifactDownloader"/>) and hands it to the
/// <see cref="RolloutController"/>, which verifies, stages and rolls it out with the desired strategy (the stable version
/// keeps serving when anything fails); a version still kept on disk is rolled back to without a download. Records
/// download events for the uplink, persists the applied revision in <c>&lt;data&gt;/sync/state.json</c> and publishes a
/// fresh status. Revisions at or below the applied one are ignored, unless a <c>reconcile</c> asks to apply the current
/// one again, which also retries a package that failed before. Models not listed are left alone.
/// </summary>
public sealed partial class DeploymentAgent : BackgroundService
{
    /// <summary><see cref="DesiredStatus"/> states.</summary>
    public const string Idle = "idle";
    public const string Applying = "applying";
    public const string Applied = "applied";
    public const string Failed = "failed";

    private readonly IHubLink _link;
    private readonly ArtifactDownloader _downloader;
    private readonly RolloutController _rollouts;
    private readonly TelemetryRecorder _recorder;
    private readonly string _statePath;
    private readonly ILogger _logger;
    private readonly Channel<Work> _work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private DesiredState? _latest;
    private long _appliedRevision;
    private volatile SyncDesiredStatus _status;

    public DeploymentAgent(IHubLink link, ArtifactDownloader downloader, RolloutController rollouts, TelemetryRecorder recorder, string syncDirectory, ILogger logger)
    {
        _link = link;
        _downloader = downloader;
        _rollouts = rollouts;
        _recorder = recorder;
        _logger = logger;
        Directory.CreateDirectory(syncDirectory);
        _statePath = Path.Combine(syncDirectory, "state.json");
        _appliedRevision = DurableFile.Read(_statePath, SyncStateJsonContext.Default.SyncState)?.AppliedRevision ?? 0;
        _status = new SyncDesiredStatus(0, _appliedRevision, Idle);
        link.OnMessage(OnMessageAsync);
    }

    /// <summary>The revision last applied completely; 0 before any.</summary>
    public long AppliedRevision => Interlocked.Read(ref _appliedRevision);

    /// <summary>The newest revision received, the applied one, and what the agent is doing.</summary>
    public SyncDesiredStatus DesiredStatus => _status;

    /// <summary>The download running now, or null.</summary>
    public DownloadProgress? Download => _downloader.Current;

    /// <summary>Called after a desired state was applied (or failed), e.g. to publish a fresh status.</summary>
    public Func<CancellationToken, Task>? AfterApply { get; set; }

    /// <summary>Applies the newest desired state received again, whatever its revision; completes with the outcome.</summary>
    public async Task<SyncDesiredStatus> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<SyncDesiredStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _work.Writer.WriteAsync(new Work(Force: true, done), cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var work in _work.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                DesiredState? desired;
                lock (_lock)
                {
                    desired = _latest;
                }

                if (desired is null)
                {
                    work.Done?.TrySetResult(_status);
                    continue;
                }

                if (!work.Force && desired.Revision <= AppliedRevision)
                {
                    LogIgnored(desired.Revision, AppliedRevision);
                    continue;
                }

                await ApplyAsync(desired, work.Force, stoppingToken).ConfigureAwait(false);
                work.Done?.TrySetResult(_status);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; a download resumes from its checkpoint next time.
        }
    }

    private async Task OnMessageAsync(HubMessage message, CancellationToken cancellationToken)
    {
        if (message.Channel == SyncChannel.ArtifactResponse)
        {
            _downloader.TryComplete(message);
            return;
        }

        if (message.Channel != SyncChannel.Desired)
        {
            return;
        }

        DesiredState? desired;
        try
        {
            desired = JsonSerializer.Deserialize(message.Payload.Span, SyncJsonContext.Default.DesiredState);
        }
        catch (JsonException ex)
        {
            LogUnreadable(ex.Message);
            return;
        }

        if (desired is null || desired.SchemaVersion > SyncProtocol.SchemaVersion)
        {
            LogUnreadable($"schema version {desired?.SchemaVersion} is not supported");
            return;
        }

        lock (_lock)
        {
            if (_latest is not null && desired.Revision < _latest.Revision)
            {
                return;
            }

            _latest = desired;
        }

        _status = _status with { Revision = Math.Max(_status.Revision, desired.Revision) };
        await _work.Writer.WriteAsync(new Work(Force: false, null), cancellationToken).ConfigureAwait(false);
    }

    private async Task ApplyAsync(DesiredState desired, bool retry, CancellationToken cancellationToken)
    {
        LogApplying(desired.Revision, desired.Models.Count);
        _status = new SyncDesiredStatus(Math.Max(_status.Revision, desired.Revision), AppliedRevision, Applying);
        var failures = new List<string>();
        foreach (var model in desired.Models)
        {
            var reason = await ApplyModelAsync(desired.Revision, model, retry, cancellationToken).ConfigureAwait(false);
            if (reason is not null)
            {
                failures.Add($"{model.Name} {model.Version}: {reason}");
                Record(DeploymentEventTypes.DeploymentFailed, new DeploymentEvent
                {
                    Revision = desired.Revision,
                    Model = model.Name,
                    Version = model.Version,
                    ArtifactId = model.Artifact.Id,
                    Strategy = model.Rollout.Strategy,
                    Reason = reason,
                });
                LogDeploymentFailed(model.Name, model.Version, desired.Revision, reason);
            }
        }

        if (failures.Count == 0)
        {
            DurableFile.Write(_statePath, new SyncState(desired.Revision), SyncStateJsonContext.Default.SyncState);
            Interlocked.Exchange(ref _appliedRevision, desired.Revision);
            _status = new SyncDesiredStatus(_status.Revision, desired.Revision, Applied);
            Record(DeploymentEventTypes.DesiredApplied, new DeploymentEvent { Revision = desired.Revision, Model = "*", Version = "*" });
            LogApplied(desired.Revision);
        }
        else
        {
            _status = new SyncDesiredStatus(_status.Revision, AppliedRevision, Failed, string.Join("; ", failures));
        }

        if (AfterApply is { } after)
        {
            await after(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Brings one model version in line; null when it serves or is rolling out, else why not.</summary>
    private async Task<string?> ApplyModelAsync(long revision, DesiredModel model, bool retry, CancellationToken cancellationToken)
    {
        if (!RolloutStrategies.IsKnown(model.Rollout.Strategy))
        {
            return $"rollout strategy '{model.Rollout.Strategy}' is not supported";
        }

        if (!long.TryParse(model.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
        {
            return $"version '{model.Version}' is not a positive integer";
        }

        if (!ModelRepository.IsValidName(model.Name))
        {
            return $"'{model.Name}' is not a valid model name";
        }

        if (model.Artifact.Format is not (ArtifactFormats.EdgePackage or ArtifactFormats.Onnx))
        {
            return $"artifact format '{model.Artifact.Format}' is not supported";
        }

        var request = new RolloutRequest
        {
            Model = model.Name,
            Version = model.Version,
            Spec = model.Rollout,
            Source = RolloutSources.Hub,
            PackageSha256 = model.Artifact.Sha256.ToLowerInvariant(),
            Revision = revision,
            Retry = retry,
        };
        var state = _rollouts.CurrentOf(model.Name);
        if (state.Stable == model.Version || state.Candidate == model.Version || state.Packages.ContainsKey(model.Version))
        {
            // Stable, rolling out, or kept for rollback: the controller knows without a download (or says why not).
            var known = await _rollouts.StartAsync(request, cancellationToken).ConfigureAwait(false);
            return known.Ok ? null : $"{known.Step}: {known.Reason}";
        }

        var descriptor = new DeploymentEvent
        {
            Revision = revision,
            Model = model.Name,
            Version = model.Version,
            ArtifactId = model.Artifact.Id,
            Strategy = model.Rollout.Strategy,
            Size = model.Artifact.Size,
            DeploymentId = model.Rollout.DeploymentId,
        };
        string file;
        try
        {
            file = await _downloader.DownloadAsync(
                model.Artifact,
                model.Name,
                model.Version,
                resumedFrom => Record(DeploymentEventTypes.DownloadStarted, descriptor with { ResumedFrom = resumedFrom, Offset = resumedFrom }),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArtifactDownloadException or IOException)
        {
            var reason = ex is ArtifactDownloadException ? ex.Message : $"artifact {model.Artifact.Id}: {ex.Message}";
            Record(DeploymentEventTypes.DownloadFailed, descriptor with { Reason = reason });
            await _rollouts.RecordRefusalAsync(request, "download", reason, cancellationToken).ConfigureAwait(false);
            return reason;
        }

        Record(DeploymentEventTypes.DownloadCompleted, descriptor with { Offset = model.Artifact.Size });
        var result = await _rollouts.StartAsync(
            model.Artifact.Format == ArtifactFormats.Onnx ? request with { ModelFilePath = file } : request with { PackagePath = file },
            cancellationToken).ConfigureAwait(false);

        // The controller keeps its own copy of the package until the version is installed.
        _downloader.Discard(model.Artifact.Id);
        if (!result.Ok)
        {
            return $"{result.Step}: {result.Reason}";
        }

        Record(DeploymentEventTypes.Installed, descriptor);
        LogInstalled(model.Name, model.Version, model.Artifact.Id, result.State.Phase);
        return null;
    }

    private void Record(string type, DeploymentEvent payload) =>
        _recorder.Record(TelemetryKind.Event, type, payload.Model, payload.Version, JsonSerializer.Serialize(payload, SyncJsonContext.Default.DeploymentEvent));


    [LoggerMessage(EventId = 1630, Level = LogLevel.Information, Message = "Applying desired state revision {Revision} ({Models} model version(s))")]
    private partial void LogApplying(long revision, int models);

    [LoggerMessage(EventId = 1631, Level = LogLevel.Information, Message = "Desired state revision {Revision} applied")]
    private partial void LogApplied(long revision);

    [LoggerMessage(EventId = 1632, Level = LogLevel.Warning, Message = "Deployment of {Model} version {Version} (revision {Revision}) failed; what served before keeps serving: {Reason}")]
    private partial void LogDeploymentFailed(string model, string version, long revision, string reason);

    [LoggerMessage(EventId = 1633, Level = LogLevel.Information, Message = "Model {Model} version {Version} installed from artifact {ArtifactId}; rollout phase {Phase}")]
    private partial void LogInstalled(string model, string version, string artifactId, string phase);

    [LoggerMessage(EventId = 1634, Level = LogLevel.Information, Message = "Desired state revision {Revision} ignored: revision {Applied} is already applied")]
    private partial void LogIgnored(long revision, long applied);

    [LoggerMessage(EventId = 1635, Level = LogLevel.Warning, Message = "Desired state ignored, it cannot be read: {Reason}")]
    private partial void LogUnreadable(string reason);

    /// <summary>A request to apply the newest desired state; <see cref="Force"/> applies it even when already applied.</summary>
    private readonly record struct Work(bool Force, TaskCompletionSource<SyncDesiredStatus>? Done);
}
