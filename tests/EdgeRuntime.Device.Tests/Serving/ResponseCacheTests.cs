using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Serving;

/// <summary>The response cache with real sessions: same bytes on a hit, no crossing between loads, LRU within the budget.</summary>
public sealed class ResponseCacheTests
{
    private static readonly ModelConfig Cached = new() { ResponseCache = new ResponseCacheConfig { Enable = true } };
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    [Test]
    public void TryGet_AfterAdd_ReturnsTheSameBytesAsTheRun()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", config: Cached);
        var cache = NewCache(1024 * 1024);
        using var request = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4], id: "first");
        var key = ResponseCache.KeyOf(session, request, session.Validate(request));
        Assert.That(cache.TryGet(key, "demo", "1", request), Is.Null);
        using var computed = session.Run(request, "demo");
        cache.Add(key, computed);

        using var again = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4], id: "second");
        using var hit = cache.TryGet(ResponseCache.KeyOf(session, again, session.Validate(again)), "demo", "1", again);

        Assert.That(hit, Is.Not.Null);
        Assert.That(hit!.Id, Is.EqualTo("second"));
        Assert.That(hit.Outputs[0].Data.ToArray(), Is.EqualTo(computed.Outputs[0].Data.ToArray()));
        Assert.That(hit.Outputs[0].Shape, Is.EqualTo(computed.Outputs[0].Shape));
        Assert.That(cache.Statistics, Is.EqualTo(new ResponseCacheStatistics(1, cache.Statistics.Bytes, 1024 * 1024, Hits: 1, Misses: 1, Evictions: 0)));
    }

    [Test]
    public void KeyOf_DiffersForEveryThingThatChangesTheAnswer()
    {
        var v1 = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", "1", Cached);
        var v2 = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", "2", Cached);
        var reloadedV1 = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", "1", Cached);
        using var request = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]);
        using var otherData = TestSessions.FloatRequest("input", [1, 2, 3, 4.125f], [1, 4]);
        using var otherShape = TestSessions.FloatRequest("input", [1, 2, 3, 4], [4, 1]);
        string[] outputs = ["probabilities"];

        var keys = new[]
        {
            ResponseCache.KeyOf(v1, request, outputs),
            ResponseCache.KeyOf(v2, request, outputs),
            ResponseCache.KeyOf(reloadedV1, request, outputs),
            ResponseCache.KeyOf(v1, otherData, outputs),
            ResponseCache.KeyOf(v1, otherShape, outputs),
            ResponseCache.KeyOf(v1, request, []),
        };

        Assert.That(keys.Distinct().Count(), Is.EqualTo(keys.Length));
        Assert.That(ResponseCache.KeyOf(v1, request, outputs), Is.EqualTo(keys[0]), "the same request on the same load has the same key");
    }

    [Test]
    public void Add_OverBudget_EvictsLeastRecentlyUsedFirst()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", config: Cached);
        var entries = Enumerable.Range(0, 3).Select(i =>
        {
            var request = TestSessions.FloatRequest("input", [i, 0, 0, 0], [1, 4]);
            var key = ResponseCache.KeyOf(session, request, session.Validate(request));
            return (request, key, response: session.Run(request, "demo"));
        }).ToList();
        var cache = NewCache(1);
        cache.Add(entries[0].key, entries[0].response);
        Assert.That(cache.Statistics.Entries, Is.Zero, "an answer over the whole budget is not kept");

        var probe = NewCache(10_000);
        probe.Add(entries[0].key, entries[0].response);
        var oneEntry = probe.Statistics.Bytes;
        cache = NewCache((2 * oneEntry) + 10);
        cache.Add(entries[0].key, entries[0].response);
        cache.Add(entries[1].key, entries[1].response);
        using (cache.TryGet(entries[0].key, "demo", "1", entries[0].request))
        {
            // Touch 0: now 1 is the least recently used.
        }

        cache.Add(entries[2].key, entries[2].response);

        Assert.That(cache.TryGet(entries[1].key, "demo", "1", entries[1].request), Is.Null, "the least recently used answer went first");
        using var kept0 = cache.TryGet(entries[0].key, "demo", "1", entries[0].request);
        using var kept2 = cache.TryGet(entries[2].key, "demo", "1", entries[2].request);
        Assert.That(kept0, Is.Not.Null);
        Assert.That(kept2, Is.Not.Null);
        Assert.That(cache.Statistics.Evictions, Is.EqualTo(1));
        Assert.That(cache.Statistics.Bytes, Is.LessThanOrEqualTo(cache.Statistics.MaxBytes));
        foreach (var (request, _, response) in entries)
        {
            request.Dispose();
            response.Dispose();
        }
    }

    [Test]
    public void TryGet_AfterTheTtl_Misses()
    {
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", config: Cached);
        var cache = new ResponseCache(Options.Create(new ResponseCacheOptions { MaxBytes = 1024 * 1024, TtlSeconds = 0.05 }));
        using var request = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]);
        var key = ResponseCache.KeyOf(session, request, session.Validate(request));
        using var response = session.Run(request, "demo");
        cache.Add(key, response);

        Thread.Sleep(TimeSpan.FromMilliseconds(200));

        Assert.That(cache.TryGet(key, "demo", "1", request), Is.Null);
        Assert.That(cache.Statistics.Entries, Is.Zero);
    }

    [Test]
    public void IsEnabledFor_OnlyModelsThatOptIn()
    {
        var optedIn = _sessions.Load(SyntheticModels.Demo().Bytes, "demo", config: Cached);
        var plain = _sessions.Load(SyntheticModels.Demo().Bytes, "plain");

        Assert.That(NewCache(1024).IsEnabledFor(optedIn), Is.True);
        Assert.That(NewCache(1024).IsEnabledFor(plain), Is.False);
        Assert.That(NewCache(0).IsEnabledFor(optedIn), Is.False, "MaxBytes 0 turns the cache off");
    }

    private static ResponseCache NewCache(long maxBytes) => new(Options.Create(new ResponseCacheOptions { MaxBytes = maxBytes }));
}
