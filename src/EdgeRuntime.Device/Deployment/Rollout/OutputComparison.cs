namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>What <see cref="OutputComparer.Compare"/> found for one mirrored request.</summary>
internal struct OutputComparison
{
    /// <summary>Every output present with the same datatype and shape, every element within the tolerance.</summary>
    public bool Agrees;

    /// <summary>Numeric elements compared (both finite, or equal).</summary>
    public long Elements;

    public double SumAbsDiff;

    public double MaxAbsDiff;

    /// <summary>Rows of classifier-shaped outputs compared by their arg-max.</summary>
    public long Top1Rows;

    public long Top1Agreeing;
}
