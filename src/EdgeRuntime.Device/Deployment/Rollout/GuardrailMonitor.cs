using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Telemetry;
using Prometheus;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// What one rollout (one <see cref="ActiveRollout.Id"/>, across its phases) has shown: requests, failures and latency
/// of both sides, and the comparison of mirrored answers; and the <see cref="GuardrailSpec"/> checks against them.
/// Recording is lock-free counters on the request path; each record call checks the guardrails its sample can move,
/// so a bad candidate trips on the very sample that crosses its limit. <see cref="Evaluate"/> checks them all.
/// </summary>
internal sealed class GuardrailMonitor
{
    /// <summary>Candidate latency samples between two p95 checks on the request path, once both sides have enough.</summary>
    internal const int LatencyCheckInterval = 8;

    private readonly LatencyHistogram _stableLatency = new();
    private readonly LatencyHistogram _candidateLatency = new();
    private readonly ShadowTally _shadow = new();
    private readonly Counter.Child? _stableCounter;
    private readonly Counter.Child? _candidateCounter;
    private readonly Counter.Child? _compared;
    private readonly Counter.Child? _failed;
    private readonly Counter.Child? _dropped;
    private ActiveRollout _rollout;
    private long _stableRequests;
    private long _stableErrors;
    private long _stableSamples;
    private long _candidateRequests;
    private long _candidateErrors;
    private long _candidateSamples;
    private int _tripped;
    private int _dropLogged;

    public GuardrailMonitor(ActiveRollout rollout, DeviceMetrics? metrics = null)
    {
        _rollout = rollout;
        if (metrics is not null)
        {
            _stableCounter = metrics.RolloutRequests.WithLabels(rollout.Model, rollout.Stable, "stable");
            _candidateCounter = metrics.RolloutRequests.WithLabels(rollout.Model, rollout.Candidate, "candidate");
            _compared = metrics.RolloutMirrorCopies.WithLabels(rollout.Model, rollout.Candidate, "compared");
            _failed = metrics.RolloutMirrorCopies.WithLabels(rollout.Model, rollout.Candidate, "failed");
            _dropped = metrics.RolloutMirrorCopies.WithLabels(rollout.Model, rollout.Candidate, "dropped");
        }
    }

    /// <summary>The rollout as last seen: the controller replaces it at every phase change, keeping its id.</summary>
    public ActiveRollout Rollout
    {
        get => Volatile.Read(ref _rollout);
        set => Volatile.Write(ref _rollout, value);
    }

    /// <summary>Whether a guardrail has tripped; from then on nothing trips again.</summary>
    public bool Tripped => Volatile.Read(ref _tripped) != 0;

    /// <summary>Counts a stable answer (or failure) of <paramref name="nanoseconds"/>; may complete the latency guardrail's samples.</summary>
    public GuardrailTrip? RecordStable(long nanoseconds, bool failed)
    {
        Interlocked.Increment(ref _stableRequests);
        _stableCounter?.Inc();
        if (failed)
        {
            Interlocked.Increment(ref _stableErrors);
            return null;
        }

        _stableLatency.Record(nanoseconds);
        var samples = Interlocked.Increment(ref _stableSamples);
        var spec = Rollout.Guardrails;

        // The moment the stable side reaches its minimum is the first the latency guardrail can be judged, if the
        // candidate got there first; later checks ride on the candidate's samples.
        return samples == spec.MinLatencySamples && Volatile.Read(ref _candidateSamples) >= spec.MinLatencySamples && !Tripped
            ? CheckLatency(spec)
            : null;
    }

    /// <summary>Counts a candidate answer (or failure) of <paramref name="nanoseconds"/> and checks the error rate and latency guardrails.</summary>
    public GuardrailTrip? RecordCandidate(long nanoseconds, bool failed)
    {
        var requests = Interlocked.Increment(ref _candidateRequests);
        _candidateCounter?.Inc();
        var errors = failed ? Interlocked.Increment(ref _candidateErrors) : Volatile.Read(ref _candidateErrors);
        if (Tripped)
        {
            return null;
        }

        var spec = Rollout.Guardrails;
        if (CheckErrorRate(spec, requests, errors) is { } trip)
        {
            return trip;
        }

        if (failed)
        {
            return null;
        }

        _candidateLatency.Record(nanoseconds);
        var samples = Interlocked.Increment(ref _candidateSamples);
        return samples >= spec.MinLatencySamples
            && (samples - spec.MinLatencySamples) % LatencyCheckInterval == 0
            && Volatile.Read(ref _stableSamples) >= spec.MinLatencySamples
            ? CheckLatency(spec)
            : null;
    }

    /// <summary>Counts a mirrored request the candidate answered in <paramref name="nanoseconds"/>, compared with the stable answer.</summary>
    public GuardrailTrip? RecordMirrored(long nanoseconds, in OutputComparison comparison)
    {
        var (samples, agreement) = _shadow.Add(comparison);
        _compared?.Inc();
        if (RecordCandidate(nanoseconds, failed: false) is { } trip)
        {
            return trip;
        }

        return Tripped ? null : CheckDisagreement(Rollout.Guardrails, samples, agreement);
    }

    /// <summary>Counts a mirrored request the candidate failed: a shadow error and a candidate error.</summary>
    public GuardrailTrip? RecordMirrorFailure(long nanoseconds)
    {
        _shadow.AddError();
        _failed?.Inc();
        return RecordCandidate(nanoseconds, failed: true);
    }

    /// <summary>Counts a copy the full mirror queue turned away; true the first time, so that it is logged once per rollout.</summary>
    public bool RecordDropped()
    {
        _shadow.AddDropped();
        _dropped?.Inc();
        return Interlocked.Exchange(ref _dropLogged, 1) == 0;
    }

    /// <summary>Checks every guardrail; <paramref name="candidateDrift"/> is the candidate's latest drift report, if any.</summary>
    public GuardrailTrip? Evaluate(DriftReport? candidateDrift)
    {
        if (Tripped)
        {
            return null;
        }

        var spec = Rollout.Guardrails;
        var samples = Volatile.Read(ref _candidateSamples);
        return CheckErrorRate(spec, Volatile.Read(ref _candidateRequests), Volatile.Read(ref _candidateErrors))
            ?? (samples >= spec.MinLatencySamples && Volatile.Read(ref _stableSamples) >= spec.MinLatencySamples ? CheckLatency(spec) : null)
            ?? CheckShadow(spec)
            ?? CheckDrift(spec, candidateDrift);
    }

    /// <summary>Marks the rollout tripped; true for the one caller that gets to report it.</summary>
    public bool TryTrip() => Interlocked.CompareExchange(ref _tripped, 1, 0) == 0;

    public RolloutObservation Observe() => new()
    {
        StableRequests = Volatile.Read(ref _stableRequests),
        StableErrors = Volatile.Read(ref _stableErrors),
        CandidateRequests = Volatile.Read(ref _candidateRequests),
        CandidateErrors = Volatile.Read(ref _candidateErrors),
        StableP95Ms = _stableLatency.Quantile(0.95) / 1e6,
        CandidateP95Ms = _candidateLatency.Quantile(0.95) / 1e6,
        Comparison = _shadow.IsEmpty ? null : _shadow.ToComparison(),
    };

    private static GuardrailTrip? CheckErrorRate(GuardrailSpec spec, long requests, long errors)
    {
        if (requests < Math.Max(1, spec.MinRequests))
        {
            return null;
        }

        var rate = (double)errors / requests;
        return rate > spec.MaxErrorRate ? new GuardrailTrip(GuardrailTrip.ErrorRate, rate, spec.MaxErrorRate, requests) : null;
    }

    private GuardrailTrip? CheckLatency(GuardrailSpec spec)
    {
        if (_stableLatency.Quantile(0.95) is not { } stable || _candidateLatency.Quantile(0.95) is not { } candidate || stable <= 0)
        {
            return null;
        }

        var ratio = candidate / stable;
        return ratio > spec.MaxLatencyRatio
            ? new GuardrailTrip(GuardrailTrip.Latency, ratio, spec.MaxLatencyRatio, Volatile.Read(ref _candidateSamples))
            : null;
    }

    private GuardrailTrip? CheckShadow(GuardrailSpec spec)
    {
        var comparison = _shadow.ToComparison();
        return CheckDisagreement(spec, comparison.Samples, comparison.AgreementRate);
    }

    private static GuardrailTrip? CheckDisagreement(GuardrailSpec spec, long samples, double agreementRate)
    {
        if (samples < Math.Max(1, spec.MinShadowSamples))
        {
            return null;
        }

        var disagreement = 1 - agreementRate;
        return disagreement > spec.MaxDisagreement
            ? new GuardrailTrip(GuardrailTrip.Disagreement, disagreement, spec.MaxDisagreement, samples)
            : null;
    }

    // The drift guardrail has no threshold of its own: the drift detector's alert is the limit. Observed and threshold
    // are drift states as edge_drift_state exports them (2 = alert); the samples are the window's rows.
    private static GuardrailTrip? CheckDrift(GuardrailSpec spec, DriftReport? report) =>
        spec.RollbackOnDrift && report is { State: DriftState.Alert }
            ? new GuardrailTrip(GuardrailTrip.Drift, (int)report.State, (int)DriftState.Alert, report.Rows)
            : null;
}
