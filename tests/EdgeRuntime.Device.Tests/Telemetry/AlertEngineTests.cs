using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The alert state machine driven step by step: hold times, hysteresis between the two thresholds, vanished subjects.</summary>
public sealed class AlertEngineTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static readonly AlertRule Latency = new()
    {
        Name = "slow",
        Condition = AlertCondition.LatencyP95Ms,
        Threshold = 50,
        ForSeconds = 60,
        ClearThreshold = 30,
        ClearForSeconds = 30,
    };

    [Test]
    public void Evaluate_BreachShorterThanHoldTime_NeverFires()
    {
        var engine = new AlertEngine([Latency]);
        var changes = new List<string>();
        foreach (var (second, value) in new[] { (0, 80.0), (30, 90.0), (45, 40.0), (60, 90.0), (90, 20.0) })
        {
            changes.AddRange(Step(engine, second, value));
        }

        Assert.That(changes, Is.Empty);
        Assert.That(engine.Firing, Is.Empty);
    }

    [Test]
    public void Evaluate_BreachHeldForTheHoldTime_FiresOnceThenResolvesAfterTheClearHold()
    {
        var engine = new AlertEngine([Latency]);
        var log = new List<string>();
        // Above 50 from 0 s; fires at 60 s. Values between the thresholds (30..50] neither keep it pending
        // nor resolve it; at or under 30 held for 30 s resolves it.
        var steps = new[] { (0, 80.0), (15, 70.0), (60, 75.0), (75, 90.0), (90, 45.0), (105, 40.0), (120, 25.0), (135, 35.0), (150, 20.0), (165, 10.0), (180, 5.0), (195, 70.0) };
        foreach (var (second, value) in steps)
        {
            log.AddRange(Step(engine, second, value).Select(s => $"{second}:{s}"));
        }

        Assert.That(log, Is.EqualTo(new[] { "60:firing", "180:resolved" }));
    }

    [Test]
    public void Evaluate_FiringAlert_IsListedUntilResolved()
    {
        var engine = new AlertEngine([Latency]);
        Step(engine, 0, 100);
        Step(engine, 60, 100);
        Assert.That(engine.Firing.Select(f => (f.Alert, f.Model, f.Value)), Is.EqualTo(new[] { ("slow", (string?)"demo", (double?)100) }));
        Step(engine, 70, 10);
        Assert.That(engine.Firing, Has.Count.EqualTo(1), "resolving is still firing until the clear hold passes");
        Step(engine, 100, 10);
        Assert.That(engine.Firing, Is.Empty);
    }

    [Test]
    public void Evaluate_NoValue_LeavesTheStateAsItIs()
    {
        var engine = new AlertEngine([Latency]);
        Step(engine, 0, 100);
        Assert.That(Step(engine, 30, null), Is.Empty);
        Assert.That(Step(engine, 61, 100), Is.EqualTo(new[] { "firing" }));
        Assert.That(Step(engine, 200, null), Is.Empty);
        Assert.That(engine.Firing, Has.Count.EqualTo(1));
    }

    [Test]
    public void Evaluate_ZeroHoldTimes_FireAndResolveOnTheCrossingItself()
    {
        var rule = new AlertRule { Name = "fallback", Condition = AlertCondition.ProviderFallback, Threshold = 0.5 };
        var engine = new AlertEngine([rule]);
        Assert.That(engine.Evaluate(rule, Start, [new("demo", "1", 1)]).Select(n => n.State), Is.EqualTo(new[] { "firing" }));
        Assert.That(engine.Evaluate(rule, Start, [new("demo", "1", 0)]).Select(n => n.State), Is.EqualTo(new[] { "resolved" }));
    }

    [Test]
    public void Evaluate_SubjectGoneWhileFiring_ResolvesWithoutValue()
    {
        var engine = new AlertEngine([Latency]);
        Step(engine, 0, 100);
        Step(engine, 60, 100);
        var changes = engine.Evaluate(Latency, Start.AddSeconds(75), [new AlertObservation("other", "1", 1)]);
        Assert.That(changes.Select(c => (c.State, c.Model, c.Value)), Is.EqualTo(new[] { ("resolved", (string?)"demo", (double?)null) }));
    }

    [Test]
    public void Evaluate_NotificationCarriesRuleSubjectAndTimes()
    {
        var engine = new AlertEngine([Latency]);
        Step(engine, 10, 70);
        var fired = engine.Evaluate(Latency, Start.AddSeconds(70), [new("demo", "1", 72.5)]).Single();
        Assert.Multiple(() =>
        {
            Assert.That(fired.Alert, Is.EqualTo("slow"));
            Assert.That(fired.Condition, Is.EqualTo("LatencyP95Ms"));
            Assert.That(fired.Version, Is.EqualTo("1"));
            Assert.That(fired.Value, Is.EqualTo(72.5));
            Assert.That(fired.Threshold, Is.EqualTo(50));
            Assert.That(fired.ClearThreshold, Is.EqualTo(30));
            Assert.That(fired.SinceMs, Is.EqualTo(Start.AddSeconds(10).ToUnixTimeMilliseconds()));
            Assert.That(fired.AtMs, Is.EqualTo(Start.AddSeconds(70).ToUnixTimeMilliseconds()));
        });
    }

    private static List<string> Step(AlertEngine engine, int second, double? value) =>
        [.. engine.Evaluate(Latency, Start.AddSeconds(second), [new AlertObservation("demo", "1", value)]).Select(n => n.State)];
}
