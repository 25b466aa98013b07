namespace EdgeRuntime.Device.Telemetry;

/// <summary>What the device measures and keeps about itself, from <c>EdgeRuntime:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "EdgeRuntime:Telemetry";

    /// <summary>
    /// Off, the request path carries no per-model metrics, drift or prediction samples and nothing is
    /// recorded (the benchmark's "telemetry off"); <c>/metrics</c> then has only the process's own.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each loaded model's metrics are written to the telemetry store as a snapshot; 0 turns snapshots off.</summary>
    public double SnapshotIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// Opt-in sampled predictions: the share (0 to 1) of each named model's answered requests whose inputs and
    /// outputs are recorded, e.g. <c>{"demo": 0.01}</c>.
    /// </summary>
    public Dictionary<string, double> SamplePredictions { get; set; } = [];

    /// <summary>A sampled prediction larger than this (inputs and outputs as JSON) is not recorded.</summary>
    public int MaxSampleBytes { get; set; } = 64 * 1024;
}
