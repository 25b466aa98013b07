using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Computes a <see cref="DriftBaseline"/> from tensors, under the same feature rule as the device
/// (<see cref="DriftFeatures"/>): equal-frequency bins (each holds about 1/bins of the values) with the
/// observed minimum and maximum as the outer edges, plus mean, standard deviation and quantiles. Mean and
/// standard deviation cover every value; the bins come from at most <c>maxValuesPerFeature</c> values a
/// feature keeps, a uniform reservoir sample beyond that (seeded, so the same data gives the same baseline).
/// </summary>
internal sealed class DriftBaselineBuilder
{
    /// <summary>Quantiles written per feature: probabilities 0, 0.05, ..., 1.</summary>
    public const int QuantileSteps = 20;

    private readonly int _bins;
    private readonly int _maxValues;
    private readonly Random _random;
    private readonly List<Accumulator> _inputs = [];
    private readonly List<Accumulator> _outputs = [];

    public DriftBaselineBuilder(int bins = 10, int maxValuesPerFeature = 1_000_000, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxValuesPerFeature, bins);
        _bins = bins;
        _maxValues = maxValuesPerFeature;
        _random = new Random(seed);
    }

    /// <summary>Rows added so far: the first dimension of the first numeric input of each <see cref="AddInputs"/> call.</summary>
    public long Rows { get; private set; }

    /// <summary>Adds one batch of inputs (numeric tensors only; BYTES are ignored).</summary>
    public void AddInputs(IEnumerable<InferenceTensor> inputs)
    {
        var counted = false;
        foreach (var tensor in inputs)
        {
            if (Add(_inputs, tensor) is { } rows && !counted)
            {
                Rows += rows;
                counted = true;
            }
        }
    }

    /// <summary>Adds the model's outputs for a batch of inputs added before.</summary>
    public void AddOutputs(IEnumerable<InferenceTensor> outputs)
    {
        foreach (var tensor in outputs)
        {
            Add(_outputs, tensor);
        }
    }

    /// <summary>The baseline of everything added; outputs only when some were added.</summary>
    /// <exception cref="InvalidDataException">No numeric input was added, or a feature has no finite value.</exception>
    public DriftBaseline Build(string? source)
    {
        if (_inputs.Count == 0)
        {
            throw new InvalidDataException("no numeric input values to build a baseline from");
        }

        return new DriftBaseline
        {
            Inputs = [.. _inputs.Select(a => a.Build(_bins))],
            Outputs = _outputs.Count > 0 ? [.. _outputs.Select(a => a.Build(_bins))] : null,
            Rows = Rows,
            Source = source,
        };
    }

    /// <summary>One feature's baseline from its values (the order does not matter; the span is not changed).</summary>
    public static FeatureBaseline BuildFeature(string feature, ReadOnlySpan<double> values, int bins = 10)
    {
        var accumulator = new Accumulator(feature, values.Length, new Random(1));
        foreach (var value in values)
        {
            accumulator.Add(value);
        }

        return accumulator.Build(bins);
    }

    private long? Add(List<Accumulator> features, InferenceTensor tensor)
    {
        if (!DriftFeatures.IsNumeric(tensor.DataType))
        {
            return null;
        }

        var layout = FeatureLayout.Of(tensor.Shape);
        for (var j = 0; j < layout.Features; j++)
        {
            var name = layout.Name(tensor.Name, j);
            var accumulator = features.Find(a => a.Feature == name);
            if (accumulator is null)
            {
                accumulator = new Accumulator(name, _maxValues, _random);
                features.Add(accumulator);
            }

            var sink = new AccumulatorSink(accumulator);
            if (!DriftFeatures.Visit(tensor, layout, j, stride: 1, ref sink))
            {
                throw new InvalidDataException($"tensor '{tensor.Name}': {tensor.Data.Length} bytes do not fit shape {InferenceTensor.FormatShape(tensor.Shape)} of {tensor.DataType.ToWireName()}");
            }
        }

        return layout.Rows;
    }

    private readonly struct AccumulatorSink(Accumulator accumulator) : IFeatureSink
    {
        public void Add(double value) => accumulator.Add(value);
    }

    private sealed class Accumulator(string feature, int maxValues, Random random)
    {
        private readonly List<double> _kept = [];
        private long _count;
        private double _mean;
        private double _sumOfSquares;

        public string Feature { get; } = feature;

        public void Add(double value)
        {
            // Welford's update: stable for long streams of similar values.
            _count++;
            var delta = value - _mean;
            _mean += delta / _count;
            _sumOfSquares += delta * (value - _mean);

            if (_kept.Count < maxValues)
            {
                _kept.Add(value);
            }
            else if (random.NextInt64(_count) is var slot && slot < maxValues)
            {
                _kept[(int)slot] = value;
            }
        }

        public FeatureBaseline Build(int bins)
        {
            if (_kept.Count == 0)
            {
                throw new InvalidDataException($"feature '{Feature}' has no finite values");
            }

            var sorted = _kept.ToArray();
            Array.Sort(sorted);
            var n = sorted.Length;

            // Cut k is the first value of equal-frequency bin k; cuts that repeat (ties, discrete data) or
            // equal the minimum would make empty bins, so they are dropped and their bins merge.
            var edges = new List<double>(bins + 1) { sorted[0] };
            for (var k = 1; k < bins; k++)
            {
                var cut = sorted[(int)((long)k * n / bins)];
                if (cut > edges[^1])
                {
                    edges.Add(cut);
                }
            }

            edges.Add(sorted[^1]);
            var counts = new long[edges.Count - 1];
            var edgeSpan = edges.ToArray();
            foreach (var value in sorted)
            {
                counts[FeatureBins.BinOf(edgeSpan, value)]++;
            }

            var quantiles = new double[QuantileSteps + 1];
            for (var q = 0; q <= QuantileSteps; q++)
            {
                // Linear interpolation between order statistics (NumPy's default).
                var position = (double)q / QuantileSteps * (n - 1);
                var below = (int)Math.Floor(position);
                var above = Math.Min(below + 1, n - 1);
                quantiles[q] = sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
            }

            return new FeatureBaseline
            {
                Feature = Feature,
                Edges = edgeSpan,
                Proportions = [.. counts.Select(c => (double)c / n)],
                Quantiles = quantiles,
                Mean = _mean,
                StdDev = _count > 1 ? Math.Sqrt(_sumOfSquares / (_count - 1)) : 0,
            };
        }
    }
}
