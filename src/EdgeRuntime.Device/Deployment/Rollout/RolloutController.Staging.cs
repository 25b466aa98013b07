using System.Globalization;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>Staging: keep the package, name the candidate, verify, unpack, install, load, smoke-test, activate.</summary>
public sealed partial class RolloutController
{
    private const string ModelFileName = "model.onnx";

    private async Task<RolloutResult> StartLockedAsync(RolloutRequest request)
    {
        var state = Load(request.Model) ?? Initial(request.Model);
        var version = request.Version;

        // A refusal of the hub's ask is recorded, so the device's status shows the hub's fleet rollout that it failed.
        async Task<RolloutResult> RefuseAsync(string step, string reason) => RolloutResult.Failure(
            request.Source == RolloutSources.Hub ? await RefusedAsync(state, request, step, reason).ConfigureAwait(false) : state, step, reason);

        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1 || Text(number) != version)
        {
            return await RefuseAsync("request", $"version '{version}' is not a positive integer").ConfigureAwait(false);
        }

        if (SpecProblem(request.Spec) is { } problem)
        {
            return await RefuseAsync("request", problem).ConfigureAwait(false);
        }

        if (request.ModelFilePath is not null && !_trust.Trust.AllowUnsigned)
        {
            return await RefuseAsync("verify", "a bare ONNX model carries no signature and unsigned models are refused (EdgeRuntime:Packages:AllowUnsigned is false)").ConfigureAwait(false);
        }

        var source = request.PackagePath ?? request.ModelFilePath;
        var sha = request.PackageSha256 ?? (source is null ? null : await DurableFile.Sha256Async(source, _stopping).ConfigureAwait(false));
        request = request with { PackageSha256 = sha };
        var installedFrom = state.Packages.GetValueOrDefault(version);
        if (sha is not null && installedFrom is not null && installedFrom != sha)
        {
            return await RefuseAsync("request", $"version {version} of '{request.Model}' is already installed from another package ({installedFrom}); give a changed model a new version").ConfigureAwait(false);
        }

        if (state.Stable == version && state.Candidate is null)
        {
            return new RolloutResult(true, state, Reason: $"version {version} is already stable");
        }

        if (state.Stable == version)
        {
            // Asked for the stable version while a candidate runs (e.g. a fleet rollback): the candidate goes, nothing is staged.
            var back = await RollbackLockedAsync(state, request.Source, $"version {version}, the stable one, is wanted again", trip: null, rolloutId: null).ConfigureAwait(false);
            return back with { Reason = $"version {version} is stable; candidate {state.Candidate} rolled back" };
        }

        if (state.Candidate == version && (sha is null || state.Package == sha || installedFrom == sha))
        {
            return new RolloutResult(true, state, Reason: $"version {version} is already rolling out (phase {state.Phase})");
        }

        if (!request.Retry && sha is not null && state.LastVersion == version && state.LastPackage == sha
            && state.LastOutcome is RolloutOutcomes.Failed or RolloutOutcomes.RolledBack
            && request.Spec.DeploymentId == state.LastDeploymentId)
        {
            return RolloutResult.Failure(state, "request", $"version {version} from this package was {state.LastOutcome!.Replace('_', ' ')} before ({state.LastReason}); ask again with retry to try it anyway");
        }

        var installed = Directory.Exists(VersionDirectory(request.Model, version));
        if (installed && sha is not null && installedFrom is null)
        {
            return await RefuseAsync("request", $"version {version} of '{request.Model}' is already on disk and was not installed from this package; give it a new version").ConfigureAwait(false);
        }

        if (!installed && source is null)
        {
            return await RefuseAsync("request", $"version {version} of '{request.Model}' is not installed and no package was given").ConfigureAwait(false);
        }

        // Going back to a version this device kept (a fleet rollback, a desired older version) needs no canary: it served here before.
        var spec = installed && state.Kept.Contains(version) ? request.Spec with { Strategy = RolloutStrategies.Immediate } : request.Spec;

        if (state.Candidate is not null)
        {
            state = (await RollbackLockedAsync(state, request.Source, $"superseded by version {version}", trip: null, rolloutId: null).ConfigureAwait(false)).State;
        }

        if (!installed)
        {
            Directory.CreateDirectory(_packageDirectory);
            await DurableFile.CopyAsync(source!, PackagePath(sha!), _stopping).ConfigureAwait(false);
            await PauseAsync(RolloutSteps.PackageSaved, request.Model, version).ConfigureAwait(false);
        }

        state = await SaveAsync(state with
        {
            Candidate = version,
            Phase = RolloutPhases.Staging,
            Spec = spec,
            RolloutId = Guid.NewGuid().ToString("N"),
            Source = request.Source,
            Package = installed ? null : sha,
            Format = installed ? null : request.ModelFilePath is null ? ArtifactFormats.EdgePackage : ArtifactFormats.Onnx,
            Revision = request.Revision,
            PhaseSinceMs = Now(),

            // Recorded before the files land, so a version directory found after a crash is known to be this package's.
            Packages = sha is null ? state.Packages : new Dictionary<string, string>(state.Packages, StringComparer.Ordinal) { [version] = sha },
        }).ConfigureAwait(false);
        LogStep(state.Model, version, RolloutSteps.StateStaging);
        await PauseAsync(RolloutSteps.StateStaging, state.Model, version).ConfigureAwait(false);
        return await ContinueStagingAsync(state).ConfigureAwait(false);
    }

    /// <summary>Carries staging on from wherever it is: every step checks what is already done and redoes only what is not.</summary>
    private async Task<RolloutResult> ContinueStagingAsync(RolloutState state)
    {
        var model = state.Model;
        var version = state.Candidate!;
        var target = VersionDirectory(model, version);
        if (!Directory.Exists(target))
        {
            if (state.Package is null || !File.Exists(PackagePath(state.Package)))
            {
                return await FailAsync(state, "package", "the package is no longer in the device's package store").ConfigureAwait(false);
            }

            var staging = Path.Combine(_repository.Root, model, $".staging-{version}-{state.RolloutId}");
            DeleteDirectory(staging);
            var failure = state.Format == ArtifactFormats.Onnx
                ? await UnpackModelFileAsync(state, staging).ConfigureAwait(false)
                : await UnpackPackageAsync(state, staging).ConfigureAwait(false);
            if (failure is { } unpackFailure)
            {
                DeleteDirectory(staging);
                return await FailAsync(state, unpackFailure.Step, unpackFailure.Reason).ConfigureAwait(false);
            }

            Directory.Move(staging, target);
            DurableFile.SyncDirectory(Path.GetDirectoryName(target)!);
            LogStep(model, version, RolloutSteps.Installed);
            await PauseAsync(RolloutSteps.Installed, model, version).ConfigureAwait(false);
        }

        await RefreshAsync(model).ConfigureAwait(false);
        var status = _repository.Find(model)?.FirstOrDefault(v => Text(v.Version) == version);
        if (status is not { State: ModelState.Ready })
        {
            return await FailAsync(state, "load", status?.Reason is { Length: > 0 } reason ? reason : $"version {version} did not load").ConfigureAwait(false);
        }

        LogStep(model, version, RolloutSteps.Loaded);
        await PauseAsync(RolloutSteps.Loaded, model, version).ConfigureAwait(false);
        if (await SmokeTestAsync(model, version).ConfigureAwait(false) is { } smokeFailure)
        {
            return await FailAsync(state, "smoke_test", smokeFailure).ConfigureAwait(false);
        }

        LogStep(model, version, RolloutSteps.SmokeTested);
        await PauseAsync(RolloutSteps.SmokeTested, model, version).ConfigureAwait(false);
        Record(DeploymentEventTypes.Staged, Event(state, version) with { Stable = state.Stable });

        var strategy = state.Spec?.Strategy ?? RolloutStrategies.Immediate;
        if (strategy == RolloutStrategies.Immediate || state.Stable is null || !IsReady(model, state.Stable))
        {
            // Nothing to compare with or split against: the candidate takes over as soon as it is staged.
            return await PromoteLockedAsync(state, "auto", strategy == RolloutStrategies.Immediate ? "staged (immediate)" : $"staged; no stable version to run {strategy} against").ConfigureAwait(false);
        }

        var phase = strategy switch
        {
            RolloutStrategies.BlueGreen => RolloutPhases.Mirror,
            RolloutStrategies.Canary => RolloutPhases.Canary,
            _ => RolloutPhases.Shadow,
        };
        // The repository learns the candidate is past staging (in SaveAsync) before any request is routed to it.
        var next = await SaveAsync(state with { Phase = phase, PhaseSinceMs = Now() }, s => _table.Set(Active(s))).ConfigureAwait(false);
        await PauseAsync(RolloutSteps.Activated, model, version).ConfigureAwait(false);
        Record(DeploymentEventTypes.PhaseChanged, Event(next, version) with { Stable = next.Stable, Phase = phase, Trigger = "auto" });
        LogPhase(model, version, phase, "auto");
        return new RolloutResult(true, next);
    }

    private async Task<(string Step, string Reason)?> UnpackPackageAsync(RolloutState state, string staging)
    {
        var path = PackagePath(state.Package!);
        VerifiedPackage verified;
        try
        {
            verified = EdgePackageReader.Verify(path, _trust.Trust, _trust.MaxUnpackedBytes);
        }
        catch (PackageRejectedException ex)
        {
            return ("verify", ex.Message);
        }

        if (verified.Manifest.Name != state.Model || verified.Manifest.Version != state.Candidate)
        {
            return ("verify", $"the package holds '{verified.Manifest.Name}' version {verified.Manifest.Version}, not '{state.Model}' version {state.Candidate}");
        }

        if (verified.Manifest.Files?.Any(f => f.Path == ModelFileName) != true)
        {
            return ("verify", $"the package has no {ModelFileName}");
        }

        LogStep(state.Model, state.Candidate!, RolloutSteps.Verified);
        await PauseAsync(RolloutSteps.Verified, state.Model, state.Candidate!).ConfigureAwait(false);
        try
        {
            verified = EdgePackageReader.VerifyAndExtract(path, _trust.Trust, staging, _trust.MaxUnpackedBytes);
        }
        catch (PackageRejectedException ex)
        {
            return ("unpack", ex.Message);
        }

        LogStep(state.Model, state.Candidate!, RolloutSteps.Unpacked);
        await PauseAsync(RolloutSteps.Unpacked, state.Model, state.Candidate!).ConfigureAwait(false);
        return null;
    }

    private async Task<(string Step, string Reason)?> UnpackModelFileAsync(RolloutState state, string staging)
    {
        Directory.CreateDirectory(staging);
        var target = Path.Combine(staging, ModelFileName);
        await DurableFile.CopyAsync(PackagePath(state.Package!), target, _stopping).ConfigureAwait(false);
        var actual = await DurableFile.Sha256Async(target, _stopping).ConfigureAwait(false);
        if (actual != state.Package)
        {
            return ("verify", $"the model file's SHA-256 is {actual}, expected {state.Package}");
        }

        await PauseAsync(RolloutSteps.Verified, state.Model, state.Candidate!).ConfigureAwait(false);
        await PauseAsync(RolloutSteps.Unpacked, state.Model, state.Candidate!).ConfigureAwait(false);
        return null;
    }

    /// <summary>Runs the version's smoke test from its manifest; null when it passes or it has none.</summary>
    private async Task<string?> SmokeTestAsync(string model, string version)
    {
        ModelSession session;
        try
        {
            session = _repository.AcquireForStaging(model, version);
        }
        catch (InferenceException ex)
        {
            return ex.Message;
        }

        try
        {
            return session.Manifest?.SmokeTest is { } test ? await SmokeTestRunner.RunAsync(session, test, _stopping).ConfigureAwait(false) : null;
        }
        catch (InferenceException ex)
        {
            return $"the smoke test's request failed: {ex.Message}";
        }
        finally
        {
            session.Release();
        }
    }

    /// <summary>Staging failed: the candidate goes, the stable version serves as before, and the event says which step and why.</summary>
    private async Task<RolloutResult> FailAsync(RolloutState state, string step, string reason)
    {
        var candidate = state.Candidate!;
        var keep = state.Kept.Contains(candidate);
        var next = await SaveAsync(state.Ended(RolloutOutcomes.Failed, $"{step}: {reason}", Now()) with
        {
            Packages = Without(state.Packages, keep ? null : candidate),
        }).ConfigureAwait(false);
        if (!keep)
        {
            DeleteDirectory(VersionDirectory(state.Model, candidate));
        }

        DeleteStagingLeftovers(next);
        DeletePackage(state.Package);
        Record(DeploymentEventTypes.StagingFailed, Event(state, candidate) with { Stable = state.Stable, Step = step, Reason = reason });
        LogStagingFailed(state.Model, candidate, step, state.Stable ?? "none", reason);
        return RolloutResult.Failure(next, step, reason);
    }

    private static string? SpecProblem(RolloutSpec spec)
    {
        var guardrails = spec.Guardrails;
        return spec switch
        {
            _ when !RolloutStrategies.IsKnown(spec.Strategy) => $"strategy '{spec.Strategy}' is not one of immediate, blue_green, canary, shadow",
            { SplitPercent: < 0 or > 100 } => "split_percent must be between 0 and 100",
            { ShadowSampleRate: < 0 or > 1 } => "shadow_sample_rate must be between 0 and 1",
            { AutoAdvanceSeconds: < 0 } => "auto_advance_seconds must not be negative",
            _ when guardrails.MaxErrorRate is < 0 or > 1 || guardrails.MaxDisagreement is < 0 or > 1 => "max_error_rate and max_disagreement must be between 0 and 1",
            _ when guardrails.MaxLatencyRatio <= 0 || guardrails.AgreementTolerance < 0 => "max_latency_ratio must be positive and agreement_tolerance not negative",
            _ when guardrails.MinRequests < 1 || guardrails.MinLatencySamples < 1 || guardrails.MinShadowSamples < 1 => "the guardrails' minimum sample counts must be at least 1",
            _ => null,
        };
    }
}
