using EdgeRuntime.Device.Inference;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Benchmarks;

/// <summary>
/// The <see cref="SessionOptions"/> the host's <see cref="ModelSessionFactory"/> builds for a device
/// profile (threads, execution mode, optimisation level, first available provider), so a raw
/// <c>InferenceSession.Run</c> is measured under the same settings as the host's.
/// </summary>
internal static class ProfileSessionOptions
{
    public static SessionOptions Create(DeviceProfile profile)
    {
        ExecutionProviders.TryParseOptimizationLevel(profile.GraphOptimizationLevel, out var level);
        var provider = profile.ExecutionProviders.Select(ExecutionProviders.Canonical).FirstOrDefault(ExecutionProviders.Available.Contains) ?? "CPU";
        var options = new SessionOptions
        {
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
}
