namespace EdgeRuntime.Contracts.Models;

/// <summary>Triton's <c>instance_group</c> entry: how many runs of the model may execute at once.</summary>
public sealed record InstanceGroupConfig
{
    /// <summary>Concurrent runs; requests beyond them wait their turn without holding a thread.</summary>
    public int? Count { get; init; }

    /// <summary>Triton's <c>KIND_CPU</c>/<c>KIND_GPU</c>; informational here, the device profile picks the provider.</summary>
    public string? Kind { get; init; }
}
