using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// The execution providers EdgeRuntime knows by name, how ONNX Runtime calls them, and how each is added
/// to a session. Whether one can actually run depends on the native library that was loaded.
/// </summary>
public static class ExecutionProviders
{
    private static readonly (string Name, string OrtName)[] Known =
    [
        ("TensorRT", "TensorrtExecutionProvider"),
        ("CUDA", "CUDAExecutionProvider"),
        ("ROCm", "ROCMExecutionProvider"),
        ("MIGraphX", "MIGraphXExecutionProvider"),
        ("OpenVINO", "OpenVINOExecutionProvider"),
        ("QNN", "QNNExecutionProvider"),
        ("CoreML", "CoreMLExecutionProvider"),
        ("NNAPI", "NnapiExecutionProvider"),
        ("DirectML", "DmlExecutionProvider"),
        ("DNNL", "DnnlExecutionProvider"),
        ("XNNPACK", "XnnpackExecutionProvider"),
        ("CPU", "CPUExecutionProvider"),
    ];

    /// <summary>The short names profiles use.</summary>
    public static IEnumerable<string> KnownNames => Known.Select(k => k.Name);

    public static bool IsKnown(string name) => Known.Any(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The canonical short name (as listed in <see cref="KnownNames"/>) for a name in any case.</summary>
    public static string Canonical(string name) =>
        Known.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)).Name ?? name;

    /// <summary>ONNX Runtime's name for a provider, e.g. <c>CUDAExecutionProvider</c>.</summary>
    public static string OrtName(string name) =>
        Known.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)).OrtName ?? name;

    /// <summary>The providers compiled into the ONNX Runtime native library this process loaded, by short name.</summary>
    public static IReadOnlySet<string> Available { get; } = ReadAvailable();

    private static HashSet<string> ReadAvailable()
    {
        var available = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var ortName in OrtEnv.Instance().GetAvailableProviders())
        {
            var known = Known.FirstOrDefault(k => k.OrtName == ortName);
            available.Add(known.Name ?? ortName);
        }

        available.Add("CPU");
        return available;
    }

    public static bool TryParseOptimizationLevel(string value, out GraphOptimizationLevel level)
    {
        (var ok, level) = value.ToLowerInvariant() switch
        {
            "disabled" or "none" => (true, GraphOptimizationLevel.ORT_DISABLE_ALL),
            "basic" => (true, GraphOptimizationLevel.ORT_ENABLE_BASIC),
            "extended" => (true, GraphOptimizationLevel.ORT_ENABLE_EXTENDED),
            "all" => (true, GraphOptimizationLevel.ORT_ENABLE_ALL),
            _ => (false, GraphOptimizationLevel.ORT_ENABLE_ALL),
        };
        return ok;
    }

    /// <summary>Adds the provider to the options; throws what ONNX Runtime throws when it cannot.</summary>
    internal static void Append(SessionOptions options, string name, IReadOnlyDictionary<string, string>? providerOptions)
    {
        var settings = providerOptions?.ToDictionary(p => p.Key, p => p.Value) ?? [];
        switch (Canonical(name))
        {
            case "CPU":
                break;
            case "CUDA":
                {
                    using var cuda = new OrtCUDAProviderOptions();
                    cuda.UpdateOptions(settings);
                    options.AppendExecutionProvider_CUDA(cuda);
                    break;
                }

            case "TensorRT":
                {
                    using var tensorRt = new OrtTensorRTProviderOptions();
                    tensorRt.UpdateOptions(settings);
                    options.AppendExecutionProvider_Tensorrt(tensorRt);
                    break;
                }

            case "ROCm":
                options.AppendExecutionProvider_ROCm(DeviceId(settings));
                break;
            case "MIGraphX":
                options.AppendExecutionProvider_MIGraphX(DeviceId(settings));
                break;
            case "DirectML":
                options.AppendExecutionProvider_DML(DeviceId(settings));
                break;
            case "DNNL":
                options.AppendExecutionProvider_Dnnl(settings.TryGetValue("use_arena", out var arena) && arena == "0" ? 0 : 1);
                break;
            case "NNAPI":
                options.AppendExecutionProvider_Nnapi();
                break;
            default:
                // QNN, OpenVINO, CoreML and XNNPACK go through ONNX Runtime's generic provider registration.
                options.AppendExecutionProvider(Canonical(name), settings);
                break;
        }
    }

    private static int DeviceId(Dictionary<string, string> settings) =>
        settings.TryGetValue("device_id", out var id) && int.TryParse(id, out var parsed) ? parsed : 0;
}
