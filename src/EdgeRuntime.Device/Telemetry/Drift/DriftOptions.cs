namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// On-device drift detection (section <c>EdgeRuntime:Telemetry:Drift</c>). Model versions whose
/// <c>manifest.json</c> carries a <c>drift_baseline</c> are compared against it over windows of
/// <see cref="WindowRows"/> rows.
/// </summary>
public sealed class DriftOptions
{
    public const string SectionName = "EdgeRuntime:Telemetry:Drift";

    /// <summary>Turns drift detection off for every model when false.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Rows (indices along the first dimension of the first input) per window. With 10 bins, a window of
    /// 1000 rows from the baseline's own distribution gives a PSI near 9/1000 = 0.009 (the chi-square
    /// approximation: n·PSI ≈ χ² with bins−1 degrees of freedom), far below the warn threshold; windows of
    /// fewer than ~200 rows make PSI noisy enough to warn on sampling noise alone.
    /// </summary>
    public int WindowRows { get; set; } = 1000;

    /// <summary>PSI at or above this is <c>warn</c>; 0.1 is the customary "moderate shift" level.</summary>
    public double PsiWarn { get; set; } = 0.1;

    /// <summary>PSI at or above this is <c>alert</c>; 0.2 is the customary "significant shift" level.</summary>
    public double PsiAlert { get; set; } = 0.2;

    /// <summary>
    /// Kolmogorov–Smirnov distance (largest gap between the two CDFs) at or above this is <c>warn</c>. 0.1 is
    /// an effect size, not a significance level: a 1000-row window of unshifted data exceeds it with
    /// probability about 2·e^(−2·1000·0.1²) ≈ 4e-9.
    /// </summary>
    public double KsWarn { get; set; } = 0.1;

    /// <summary>KS distance at or above this is <c>alert</c> (a fifth of the probability mass moved).</summary>
    public double KsAlert { get; set; } = 0.2;

    /// <summary>
    /// At most this many values per feature are counted from one request; larger tensors (an image channel
    /// has tens of thousands) are sampled with an even stride, which keeps the cost per request bounded.
    /// </summary>
    public int MaxValuesPerFeature { get; set; } = 256;
}
