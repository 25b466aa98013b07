using EdgeRuntime.Contracts.Telemetry;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The alert state machine with hysteresis, free of clocks and I/O so it can be driven step by step:
/// each rule and subject moves inactive → pending → firing → resolving → inactive as its observed values
/// cross the rule's thresholds and stay there for the rule's hold times. <see cref="Evaluate"/> returns the
/// alerts that fired or resolved in that step.
/// </summary>
public sealed class AlertEngine
{
    private readonly Dictionary<(string Rule, string? Model, string? Version), Instance> _instances = [];

    public AlertEngine(IReadOnlyList<AlertRule> rules)
    {
        Rules = rules;
    }

    public IReadOnlyList<AlertRule> Rules { get; }

    /// <summary>Alerts firing now (resolving ones included: they fire until they have resolved).</summary>
    public IReadOnlyList<AlertNotification> Firing
    {
        get
        {
            lock (_instances)
            {
                return [.. _instances.Values.Where(i => i.Phase is Phase.Firing or Phase.Resolving).Select(i => i.Notification)];
            }
        }
    }

    /// <summary>
    /// Feeds one evaluation of <paramref name="rule"/> at <paramref name="now"/>: the value for every subject
    /// it applies to now. A firing alert whose subject is no longer observed (its model version unloaded)
    /// resolves.
    /// </summary>
    public IReadOnlyList<AlertNotification> Evaluate(AlertRule rule, DateTimeOffset now, IReadOnlyList<AlertObservation> observations)
    {
        var changes = new List<AlertNotification>();
        lock (_instances)
        {
            foreach (var observation in observations)
            {
                var key = (rule.Name, observation.Model, observation.Version);
                if (!_instances.TryGetValue(key, out var instance))
                {
                    instance = new Instance(rule, observation.Model, observation.Version);
                    _instances[key] = instance;
                }

                if (observation.Value is { } value && instance.Step(value, now) is { } change)
                {
                    changes.Add(change);
                }
            }

            foreach (var (key, instance) in _instances.Where(e => e.Key.Rule == rule.Name).ToList())
            {
                if (observations.Any(o => o.Model == key.Model && o.Version == key.Version))
                {
                    continue;
                }

                _instances.Remove(key);
                if (instance.Phase is Phase.Firing or Phase.Resolving)
                {
                    changes.Add(instance.Notify("resolved", null, now));
                }
            }
        }

        return changes;
    }

    private enum Phase
    {
        Inactive,
        Pending,
        Firing,
        Resolving,
    }

    private sealed class Instance(AlertRule rule, string? model, string? version)
    {
        private DateTimeOffset _since;

        public Phase Phase { get; private set; }

        public AlertNotification Notification { get; private set; } = null!;

        public AlertNotification? Step(double value, DateTimeOffset now)
        {
            var breaching = value > rule.Threshold;
            var clear = value <= rule.EffectiveClearThreshold;
            switch (Phase)
            {
                case Phase.Inactive when breaching:
                    _since = now;
                    Phase = Phase.Pending;
                    return rule.For <= TimeSpan.Zero ? Fire(value, now) : null;
                case Phase.Pending when !breaching:
                    Phase = Phase.Inactive;
                    return null;
                case Phase.Pending when now - _since >= rule.For:
                    return Fire(value, now);
                case Phase.Firing when clear:
                    Phase = Phase.Resolving;
                    _since = now;
                    return rule.ClearFor <= TimeSpan.Zero ? Resolve(value, now) : null;
                case Phase.Resolving when !clear:
                    Phase = Phase.Firing;
                    return null;
                case Phase.Resolving when now - _since >= rule.ClearFor:
                    return Resolve(value, now);
                default:
                    return null;
            }
        }

        public AlertNotification Notify(string state, double? value, DateTimeOffset now) => new()
        {
            Alert = rule.Name,
            State = state,
            Condition = rule.Condition.ToString(),
            Model = model,
            Version = version,
            Value = value,
            Threshold = rule.Threshold,
            ClearThreshold = rule.EffectiveClearThreshold,
            SinceMs = _since.ToUnixTimeMilliseconds(),
            AtMs = now.ToUnixTimeMilliseconds(),
        };

        private AlertNotification Fire(double value, DateTimeOffset now)
        {
            Phase = Phase.Firing;
            Notification = Notify("firing", value, now);
            return Notification;
        }

        private AlertNotification Resolve(double value, DateTimeOffset now)
        {
            Phase = Phase.Inactive;
            return Notify("resolved", value, now);
        }
    }
}
