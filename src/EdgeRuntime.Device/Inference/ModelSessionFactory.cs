using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// Creates <see cref="ModelSession"/>s the way the device profile asks: tries each preferred execution
/// provider the loaded ONNX Runtime offers, falls back on any failure, and keeps the optimised model on
/// disk so that the next start skips graph optimisation.
/// </summary>
public sealed partial class ModelSessionFactory
{
    private readonly DeviceProfile _profile;
    private readonly string? _cacheDirectory;
    private readonly ILogger _logger;
    private readonly GraphOptimizationLevel _optimizationLevel;

    public ModelSessionFactory(DeviceProfile profile, string? cacheDirectory, ILogger<ModelSessionFactory> logger)
    {
        _profile = profile;
        _cacheDirectory = profile.OptimizedModelCache ? cacheDirectory : null;
        _logger = logger;
        ExecutionProviders.TryParseOptimizationLevel(profile.GraphOptimizationLevel, out _optimizationLevel);
        DeleteAbandonedWrites();
    }

    /// <summary>How old a load's temporary file must be to count as abandoned (its process died mid-load).</summary>
    internal static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>
    /// Runs that fit the cores at once: each run may use the profile's intra-op threads (0 means every
    /// core), so more would only make runs fight over the same cores and caches.
    /// </summary>
    public static int DefaultConcurrentRuns(DeviceProfile profile)
    {
        var threadsPerRun = profile.IntraOpThreads > 0 ? profile.IntraOpThreads : Environment.ProcessorCount;
        return Math.Max(1, Environment.ProcessorCount / threadsPerRun);
    }

    public DeviceProfile Profile => _profile;

    /// <summary>Loads a model file. Throws with the reason when no provider, not even CPU, can run it.</summary>
    public ModelSession Create(string name, string version, string modelPath, IReadOnlyDictionary<string, string>? properties = null)
    {
        var skipped = new List<ProviderAttempt>();
        var preferred = _profile.ExecutionProviders.Select(ExecutionProviders.Canonical).ToList();
        if (!preferred.Contains("CPU"))
        {
            preferred.Add("CPU");
        }

        Exception? lastFailure = null;
        foreach (var provider in preferred)
        {
            if (!ExecutionProviders.Available.Contains(provider))
            {
                var reason = $"not in this ONNX Runtime build (it offers {string.Join(", ", ExecutionProviders.Available.Order())})";
                skipped.Add(new ProviderAttempt(provider, reason));
                LogProviderSkipped(name, version, provider, reason);
                continue;
            }

            InferenceSession session;
            bool fromCache;
            try
            {
                (session, fromCache) = CreateSession(name, version, modelPath, provider);
            }
            catch (Exception ex) when (IsOrtFailure(ex))
            {
                lastFailure = ex;
                skipped.Add(new ProviderAttempt(provider, ex.Message, Failed: true));
                LogProviderFailed(name, version, provider, ex.Message);
                continue;
            }

            var facts = new Dictionary<string, string>(properties ?? new Dictionary<string, string>())
            {
                ["optimized_model_cache"] = fromCache ? "hit" : _cacheDirectory is null || provider != "CPU" ? "off" : "miss",
            };
            try
            {
                var loaded = new ModelSession(name, version, session, provider, skipped, facts, DefaultConcurrentRuns(_profile));
                LogLoaded(name, version, provider, fromCache);
                return loaded;
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }

        throw new InvalidDataException(
            $"no execution provider could load the model: {string.Join("; ", skipped.Select(s => $"{s.Provider}: {s.Reason}"))}",
            lastFailure);
    }

    private (InferenceSession Session, bool FromCache) CreateSession(string name, string version, string modelPath, string provider)
    {
        // Only the CPU provider's optimised graph is portable across restarts on the same device; compiling
        // providers (TensorRT, QNN, ...) keep caches of their own, configured through their provider options.
        var cachePath = _cacheDirectory is not null && provider == "CPU" ? CachePath(modelPath, provider) : null;
        if (cachePath is not null && File.Exists(cachePath))
        {
            try
            {
                using var cached = NewOptions(name, version, provider, GraphOptimizationLevel.ORT_DISABLE_ALL);
                return (new InferenceSession(cachePath, cached), true);
            }
            catch (Exception ex) when (IsOrtFailure(ex))
            {
                LogCacheUnusable(cachePath, ex.Message);
                DeleteQuietly(cachePath);
            }
        }

        using var options = NewOptions(name, version, provider, _optimizationLevel);
        string? pending = null;
        if (cachePath is not null)
        {
            // Written beside the final name and renamed once the session exists, so a crash never leaves half a cache file.
            // The name is unique per load: two loads of the same model at once (a batch job and the server) must not write
            // into one file.
            pending = $"{cachePath}.{Guid.NewGuid():N}.tmp";
            options.OptimizedModelFilePath = pending;
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, options);
        }
        catch (Exception ex) when (pending is not null && IsOrtFailure(ex))
        {
            // Writing the optimised model may be what failed (a full disk, a cache that cannot be written). The cache
            // is only a shortcut, so the load is tried once more without it; what fails then is the model's own failure.
            DeleteQuietly(pending);
            LogCacheNotWritten(cachePath!, ex.Message);
            using var uncached = NewOptions(name, version, provider, _optimizationLevel);
            return (new InferenceSession(modelPath, uncached), false);
        }
        catch
        {
            if (pending is not null)
            {
                DeleteQuietly(pending);
            }

            throw;
        }

        if (pending is not null && File.Exists(pending))
        {
            try
            {
                File.Move(pending, cachePath!, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The session exists: only the cache is lost.
                LogCacheUnusable(cachePath!, ex.Message);
                DeleteQuietly(pending);
            }
        }

        return (session, false);
    }

    private SessionOptions NewOptions(string name, string version, string provider, GraphOptimizationLevel level) =>
        NewOptions(_profile, $"{name}:{version}", provider, level);

    /// <summary>The session options a profile gives a model on <paramref name="provider"/>; the benchmarks' raw runs use them too.</summary>
    internal static SessionOptions NewOptions(DeviceProfile profile, string logId, string provider, GraphOptimizationLevel level)
    {
        var options = new SessionOptions
        {
            LogId = logId,
            IntraOpNumThreads = profile.IntraOpThreads,
            InterOpNumThreads = profile.InterOpThreads,
            ExecutionMode = profile.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = level,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            profile.ProviderOptions.TryGetValue(provider, out var providerOptions);
            ExecutionProviders.Append(options, provider, providerOptions);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is ONNX Runtime refusing: an <see cref="OnnxRuntimeException"/>, or the
    /// <see cref="KeyNotFoundException"/> that exception's constructor throws for a native error code its .NET binding
    /// cannot name (code 21 when the optimised model cannot be written, for one); only ORT code runs where it is asked.
    /// </summary>
    private static bool IsOrtFailure(Exception exception) => exception is OnnxRuntimeException or KeyNotFoundException;

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing was written there, or the next factory's start removes it once it is old (DeleteAbandonedWrites).
        }
    }

    /// <summary>
    /// Removes optimised models that a load was writing when its process died: each is as large as its model, and no
    /// later load would ever take it (every load writes under a name of its own). Only old ones go, since another
    /// process (a batch job beside the host) may be writing one right now.
    /// </summary>
    private void DeleteAbandonedWrites()
    {
        if (_cacheDirectory is null || !Directory.Exists(_cacheDirectory))
        {
            return;
        }

        try
        {
            foreach (var file in new DirectoryInfo(_cacheDirectory).EnumerateFiles("*.tmp"))
            {
                if (DateTime.UtcNow - file.LastWriteTimeUtc > AbandonedAfter)
                {
                    DeleteQuietly(file.FullName);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCacheNotWritten(_cacheDirectory, ex.Message);
        }
    }

    /// <summary>Where the optimised model goes; null when the cache directory cannot be made (the load goes on without it).</summary>
    private string? CachePath(string modelPath, string provider)
    {
        try
        {
            Directory.CreateDirectory(_cacheDirectory!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogCacheNotWritten(_cacheDirectory!, ex.Message);
            return null;
        }

        using var stream = File.OpenRead(modelPath);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream))[..32];
        var ortVersion = OrtEnv.Instance().GetVersionString();
        return Path.Combine(_cacheDirectory!, $"{hash}-{provider}-{_profile.GraphOptimizationLevel}-ort{ortVersion}.onnx");
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Model {Model} version {Version} loaded on {Provider} (optimised-model cache hit: {FromCache})")]
    private partial void LogLoaded(string model, string version, string provider, bool fromCache);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Model {Model} version {Version}: provider {Provider} skipped: {Reason}")]
    private partial void LogProviderSkipped(string model, string version, string provider, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Model {Model} version {Version}: provider {Provider} failed, falling back: {Reason}")]
    private partial void LogProviderFailed(string model, string version, string provider, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Optimised-model cache {Path} unusable, rebuilding it: {Reason}")]
    private partial void LogCacheUnusable(string path, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Loading with the optimised-model cache {Path} failed (writing it, or the model itself); trying without the cache: {Reason}")]
    private partial void LogCacheNotWritten(string path, string reason);
}
