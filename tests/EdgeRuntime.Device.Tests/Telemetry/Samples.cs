namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Seeded random samples for the drift tests.</summary>
internal static class Samples
{
    /// <summary>A normal draw (Box–Muller), deterministic for a seeded <paramref name="random"/>.</summary>
    public static double Normal(Random random, double mean = 0, double standardDeviation = 1)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return mean + (standardDeviation * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static double[] Normals(Random random, int count, double mean = 0, double standardDeviation = 1) =>
        [.. Enumerable.Range(0, count).Select(_ => Normal(random, mean, standardDeviation))];

    /// <summary>The probabilities of the 10 decile bins of N(0, 1) under N(<paramref name="mean"/>, <paramref name="standardDeviation"/>²).</summary>
    public static double[] DecileShares(double mean, double standardDeviation)
    {
        var cdf = new double[11];
        cdf[10] = 1;
        for (var k = 1; k < 10; k++)
        {
            cdf[k] = NormalCdf((InverseNormalCdf(k / 10.0) - mean) / standardDeviation);
        }

        return [.. Enumerable.Range(0, 10).Select(i => cdf[i + 1] - cdf[i])];
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    private static double InverseNormalCdf(double p)
    {
        // Bisection is plenty for nine points.
        double low = -10, high = 10;
        for (var i = 0; i < 200; i++)
        {
            var middle = (low + high) / 2;
            if (NormalCdf(middle) < p)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return (low + high) / 2;
    }

    private static double Erf(double x)
    {
        // The Taylor series: cancellation costs a few digits as |x| grows, leaving ~1e-11 at the |x| < 3 used here.
        if (Math.Abs(x) > 5)
        {
            return Math.Sign(x);
        }

        double sum = x, term = x;
        for (var n = 1; n < 200; n++)
        {
            term *= -x * x / n;
            var next = term / ((2 * n) + 1);
            sum += next;
            if (Math.Abs(next) < 1e-17)
            {
                break;
            }
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
