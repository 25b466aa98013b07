using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// What serving needs to route a model's unversioned requests while a candidate takes traffic: the two versions, the
/// phase (<see cref="RolloutPhases.Mirror"/>, <see cref="RolloutPhases.Split"/>, <see cref="RolloutPhases.Canary"/> or
/// <see cref="RolloutPhases.Shadow"/>) and its knobs. Immutable; the rollout controller replaces it whole in the
/// <see cref="RolloutTable"/> at every phase change.
/// </summary>
public sealed record ActiveRollout
{
    /// <summary>Unique per rollout (a new candidate gets a new id; phases of one rollout share it).</summary>
    public required string Id { get; init; }

    public required string Model { get; init; }

    /// <summary>The version that answers whatever is not routed to the candidate.</summary>
    public required string Stable { get; init; }

    public required string Candidate { get; init; }

    public required string Strategy { get; init; }

    public required string Phase { get; init; }

    /// <summary>Percent of requests (0–100) the candidate answers in <see cref="RolloutPhases.Split"/> and <see cref="RolloutPhases.Canary"/>.</summary>
    public double SplitPercent { get; init; }

    /// <summary>Canary: the request header whose value pins a caller to one side; null splits request by request.</summary>
    public string? StickyHeader { get; init; }

    /// <summary>Fraction of requests (0–1) copied to the candidate in <see cref="RolloutPhases.Mirror"/> and <see cref="RolloutPhases.Shadow"/>.</summary>
    public double ShadowSampleRate { get; init; }

    public required GuardrailSpec Guardrails { get; init; }

    /// <summary>Whether callers ever get the candidate's answers in this phase.</summary>
    public bool CandidateAnswers => Phase is RolloutPhases.Split or RolloutPhases.Canary;

    /// <summary>Whether requests are copied to the candidate in this phase.</summary>
    public bool Mirrors => Phase is RolloutPhases.Mirror or RolloutPhases.Shadow;
}

/// <summary>A guardrail that a candidate crossed: which, the observed value, the limit and the samples it was measured over.</summary>
public sealed record GuardrailTrip(string Guardrail, double Observed, double Threshold, long Samples)
{
    /// <summary>Guardrail names as events report them.</summary>
    public const string ErrorRate = "error_rate";
    public const string Latency = "latency";
    public const string Disagreement = "disagreement";
    public const string Drift = "drift";

    public string Reason => Guardrail switch
    {
        ErrorRate => $"error rate {Observed:P1} over {Samples} candidate requests is above the limit of {Threshold:P1}",
        Latency => $"p95 latency {Observed:0.##}x the stable version's over {Samples} candidate requests is above the limit of {Threshold:0.##}x",
        Disagreement => $"disagreement {Observed:P1} over {Samples} mirrored requests is above the limit of {Threshold:P1}",
        Drift => "the candidate's input drift reached alert",
        _ => $"{Guardrail} {Observed} over {Samples} samples crossed {Threshold}",
    };
}

/// <summary>Told when a candidate trips a guardrail; called on a request or worker thread, so it must return quickly.</summary>
public interface IRolloutTripHandler
{
    void OnTrip(ActiveRollout rollout, GuardrailTrip trip);
}

/// <summary>What the candidate and the stable version have shown so far in the current rollout of a model.</summary>
public sealed record RolloutObservation
{
    public long StableRequests { get; init; }

    public long StableErrors { get; init; }

    public long CandidateRequests { get; init; }

    public long CandidateErrors { get; init; }

    /// <summary>p95 latency in milliseconds; null until there are samples.</summary>
    public double? StableP95Ms { get; init; }

    public double? CandidateP95Ms { get; init; }

    public ShadowComparison? Comparison { get; init; }
}

/// <summary>
/// The rollouts taking traffic now, one per model at most. Reads are lock-free (the router reads it on every
/// unversioned request); the rollout controller writes it.
/// </summary>
public sealed class RolloutTable
{
    private volatile Dictionary<string, ActiveRollout> _active = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>True when no model has a rollout taking traffic (the router's fast path).</summary>
    public bool IsEmpty => _active.Count == 0;

    public ActiveRollout? Find(string model) => _active.GetValueOrDefault(model);

    public IReadOnlyCollection<ActiveRollout> All => _active.Values;

    public void Set(ActiveRollout rollout)
    {
        lock (_lock)
        {
            _active = new Dictionary<string, ActiveRollout>(_active, StringComparer.Ordinal) { [rollout.Model] = rollout };
        }
    }

    /// <summary>Takes the model's rollout out of serving; true when <paramref name="id"/> (or, when null, any rollout) was there.</summary>
    public bool Remove(string model, string? id = null)
    {
        lock (_lock)
        {
            if (!_active.TryGetValue(model, out var current) || (id is not null && current.Id != id))
            {
                return false;
            }

            var next = new Dictionary<string, ActiveRollout>(_active, StringComparer.Ordinal);
            next.Remove(model);
            _active = next;
            return true;
        }
    }
}
