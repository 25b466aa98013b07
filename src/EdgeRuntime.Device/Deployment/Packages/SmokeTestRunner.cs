using System.Globalization;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Deployment.Packages;

/// <summary>
/// Runs a model version's smoke test (<see cref="ModelManifest.SmokeTest"/>) on its loaded session and says exactly what
/// failed: an input that does not fit the model, an output of the wrong datatype or shape, or the first element outside
/// <c>|actual - expected| &lt;= absolute + relative * |expected|</c>. Also makes smoke tests for <c>edge-runtime package
/// build</c>: generated inputs, and the outputs a session gives for them.
/// </summary>
public static class SmokeTestRunner
{
    /// <summary>The seed of <see cref="GenerateInputs"/> when none is given, so a rebuilt package gets the same test.</summary>
    public const int DefaultSeed = 42;

    /// <summary>Runs <paramref name="test"/> on <paramref name="session"/>; null when it passes, else the one reason it failed.</summary>
    public static async Task<string?> RunAsync(ModelSession session, SmokeTest test, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(test);
        if (test.Expected.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"smoke test expects output '{twice.Key}' twice";
        }

        if (!TryBuildInputs(session, test.Inputs, out var inputs, out var problem))
        {
            return problem;
        }

        using var request = new InferenceRequest
        {
            Inputs = inputs,
            Outputs = test.Expected.Count > 0 ? [.. test.Expected.Select(e => new RequestedOutput(e.Name))] : null,
        };
        InferenceResponse response;
        try
        {
            response = await session.RunAsync(request, session.Name, ct).ConfigureAwait(false);
        }
        catch (InferenceException ex) when (ex.Kind == InferenceErrorKind.BadRequest)
        {
            return $"smoke test does not fit the model: {ex.Message}";
        }
        catch (InferenceException ex)
        {
            return $"smoke test run failed: {ex.Message}";
        }

        using (response)
        {
            foreach (var expected in test.Expected)
            {
                var actual = response.Outputs.First(o => o.Name == expected.Name);
                if (Compare(expected, actual, test.AbsoluteTolerance, test.RelativeTolerance) is { } mismatch)
                {
                    return mismatch;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Deterministic inputs for a model's <paramref name="inputs"/>: dynamic dimensions set to 1; floating-point values
    /// multiples of 1/8 in [-1, 1) (exact in every float type and in JSON), integers in [0, 4) (safe as indices), BOOL 0 or 1.
    /// </summary>
    /// <exception cref="ArgumentException">An input is BYTES, which smoke tests (numbers only) cannot carry.</exception>
    public static IReadOnlyList<SmokeTensor> GenerateInputs(IReadOnlyList<TensorMetadata> inputs, int seed = DefaultSeed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var random = new Random(seed);
        var tensors = new List<SmokeTensor>(inputs.Count);
        foreach (var input in inputs)
        {
            if (input.DataType == TensorDataType.Bytes)
            {
                throw new ArgumentException($"input '{input.Name}' is BYTES, which a generated smoke test cannot fill", nameof(inputs));
            }

            long[] shape = [.. input.Shape.Select(d => d < 0 ? 1 : d)];
            var count = InferenceTensor.ElementCountOf(shape);
            var data = new double[count];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = input.DataType switch
                {
                    TensorDataType.Fp16 or TensorDataType.Fp32 or TensorDataType.Fp64 or TensorDataType.Bf16 => random.Next(-8, 8) / 8.0,
                    TensorDataType.Bool => random.Next(2),
                    _ => random.Next(4),
                };
            }

            tensors.Add(new SmokeTensor(input.Name, input.DataType.ToWireName(), shape, data));
        }

        return tensors;
    }

    /// <summary>
    /// A smoke test of <paramref name="inputs"/> with what <paramref name="session"/> answers to them as the expected
    /// outputs (every numeric output), and the default tolerances.
    /// </summary>
    /// <exception cref="InvalidDataException">The inputs do not fit the model, the run fails, or an output is not finite (JSON cannot hold it).</exception>
    public static async Task<SmokeTest> RecordAsync(ModelSession session, IReadOnlyList<SmokeTensor> inputs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!TryBuildInputs(session, inputs, out var tensors, out var problem))
        {
            throw new InvalidDataException(problem);
        }

        using var request = new InferenceRequest { Inputs = tensors };
        InferenceResponse response;
        try
        {
            response = await session.RunAsync(request, session.Name, ct).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            throw new InvalidDataException($"running the smoke test input failed: {ex.Message}", ex);
        }

        using (response)
        {
            var expected = new List<SmokeTensor>();
            foreach (var output in response.Outputs)
            {
                if (output.DataType == TensorDataType.Bytes)
                {
                    continue;
                }

                var data = new double[output.ElementCount];
                for (var i = 0; i < data.Length; i++)
                {
                    var value = TensorValues.Read(output.Data.Span, output.DataType, i);
                    if (!double.IsFinite(value))
                    {
                        throw new InvalidDataException($"output '{output.Name}' element {i} is {TensorValues.Format(value)} on the smoke test input, which a smoke test cannot record");
                    }

                    // The shortest text of the output's own type, so the manifest says 0.71 rather than 0.7099999785423279.
                    data[i] = double.Parse(TensorValues.Format(value, output.DataType), CultureInfo.InvariantCulture);
                }

                expected.Add(new SmokeTensor(output.Name, output.DataType.ToWireName(), [.. output.Shape], data));
            }

            if (expected.Count == 0)
            {
                throw new InvalidDataException("the model has no numeric output for a smoke test to check");
            }

            return new SmokeTest { Inputs = inputs, Expected = expected };
        }
    }

    private static bool TryBuildInputs(ModelSession session, IReadOnlyList<SmokeTensor> inputs, out InferenceTensor[] tensors, out string? problem)
    {
        tensors = [];
        var built = new List<InferenceTensor>(inputs.Count);
        var byName = session.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var name = input.Name;
            if (built.Any(t => t.Name == name))
            {
                problem = $"smoke test gives input '{name}' twice";
                return false;
            }

            if (!byName.TryGetValue(name, out var model))
            {
                problem = $"smoke test input '{name}' does not fit the model: it has no such input (its inputs: {string.Join(", ", session.Inputs.Select(i => $"'{i.Name}'"))})";
                return false;
            }

            if (!TensorDataTypes.TryParse(input.Datatype, out var type))
            {
                problem = $"smoke test input '{name}' has unknown datatype '{input.Datatype}'";
                return false;
            }

            if (type != model.DataType)
            {
                problem = $"smoke test input '{name}' does not fit the model: datatype {input.Datatype}, but the model expects {model.DataType.ToWireName()}";
                return false;
            }

            long[] shape = [.. input.Shape];
            if (shape.Any(d => d < 0))
            {
                problem = $"smoke test input '{name}' has shape {InferenceTensor.FormatShape(shape)}; a smoke test needs concrete dimensions";
                return false;
            }

            if (shape.Length != model.Shape.Length || shape.Zip(model.Shape).Any(p => p.Second >= 0 && p.First != p.Second))
            {
                problem = $"smoke test input '{name}' does not fit the model: shape {InferenceTensor.FormatShape(shape)}, but the model expects {InferenceTensor.FormatShape(model.Shape)} (-1 is any size)";
                return false;
            }

            var count = InferenceTensor.ElementCountOf(shape);
            if (count != input.Data.Count)
            {
                problem = $"smoke test input '{name}' has {input.Data.Count} values but shape {InferenceTensor.FormatShape(shape)} needs {count}";
                return false;
            }

            if (!TensorValues.TryEncode(input.Data, type, out var bytes, out var encoding))
            {
                problem = $"smoke test input '{name}': {encoding}";
                return false;
            }

            built.Add(new InferenceTensor(name, type, shape, bytes));
        }

        if (session.Inputs.FirstOrDefault(i => !built.Any(t => t.Name == i.Name)) is { } missing)
        {
            problem = $"smoke test gives no input '{missing.Name}', which the model needs";
            return false;
        }

        tensors = [.. built];
        problem = null;
        return true;
    }

    private static string? Compare(SmokeTensor expected, InferenceTensor actual, double absolute, double relative)
    {
        var name = expected.Name;
        if (!TensorDataTypes.TryParse(expected.Datatype, out var type))
        {
            return $"smoke test output '{name}' has unknown datatype '{expected.Datatype}'";
        }

        if (actual.DataType != type)
        {
            return $"smoke test output '{name}': datatype {expected.Datatype} expected, the model gives {actual.DataType.ToWireName()}";
        }

        if (type == TensorDataType.Bytes)
        {
            return $"smoke test output '{name}' is BYTES, which a smoke test cannot compare";
        }

        if (!expected.Shape.SequenceEqual(actual.Shape))
        {
            return $"smoke test output '{name}': shape {InferenceTensor.FormatShape([.. expected.Shape])} expected, got {InferenceTensor.FormatShape(actual.Shape)}";
        }

        if (expected.Data.Count != actual.ElementCount)
        {
            return $"smoke test output '{name}' gives {expected.Data.Count} expected values for shape {InferenceTensor.FormatShape(actual.Shape)} of {actual.ElementCount} elements";
        }

        var data = actual.Data.Span;
        for (var i = 0; i < expected.Data.Count; i++)
        {
            var value = TensorValues.Read(data, type, i);

            // The expected value as the output's own type holds it: "0.71" for an FP32 output means the float nearest 0.71.
            var target = AsType(expected.Data[i], type);
            if (!(Math.Abs(value - target) <= absolute + (relative * Math.Abs(target))))
            {
                return string.Create(
                    CultureInfo.InvariantCulture,
                    $"smoke test output '{name}' element {i}: expected {TensorValues.Format(expected.Data[i])}, got {TensorValues.Format(value, type)} (tolerance {absolute} + {relative}×|expected|)");
            }
        }

        return null;
    }

    private static double AsType(double value, TensorDataType type) => type switch
    {
        TensorDataType.Fp32 => (float)value,
        TensorDataType.Fp16 => (double)(Half)value,
        TensorDataType.Bf16 => BFloat16Bits.ToSingle(BFloat16Bits.FromDouble(value)),
        _ => value,
    };
}
