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
        return ModelSessionFactory.NewOptions(profile, "raw-run", provider, level);
    }
}
