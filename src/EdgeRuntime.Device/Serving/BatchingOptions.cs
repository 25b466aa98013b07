using System.Globalization;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Serving;

/// <summary>
/// A model's dynamic batching settings, resolved from its <c>config.json</c> with the device's defaults and
/// checked against the model: every input and output must have a dynamic first (batch) dimension.
/// </summary>
public sealed record BatchingOptions
{
    /// <summary>Rows per run when <c>max_batch_size</c> is absent.</summary>
    public const int DefaultMaxBatchSize = 32;

    /// <summary>Requests that may wait when <c>max_queue_size</c> is absent.</summary>
    public const int DefaultMaxQueueSize = 512;

    public int MaxBatchSize { get; init; } = DefaultMaxBatchSize;

    /// <summary>Sizes run as soon as they can be formed, largest first; empty when none are preferred.</summary>
    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];

    /// <summary>
    /// How long the oldest request may wait for company. Zero (the default) never waits: a batch is whatever
    /// queued up while the previous one ran, so a lone request pays no delay.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; init; }

    public int MaxQueueSize { get; init; } = DefaultMaxQueueSize;

    /// <summary>How long a request may stay queued before it is refused; null waits as long as it takes.</summary>
    public TimeSpan? DefaultTimeout { get; init; }

    /// <summary>Whether a request's <c>timeout</c> parameter (microseconds) replaces <see cref="DefaultTimeout"/>.</summary>
    public bool AllowTimeoutOverride { get; init; }

    /// <summary>Resolves and checks the settings; null when the model is not batched.</summary>
    /// <exception cref="InvalidDataException">A setting is out of range or the model cannot be batched, with the reason.</exception>
    public static BatchingOptions? From(ModelConfig? config, IReadOnlyList<TensorMetadata> inputs, IReadOnlyList<TensorMetadata> outputs)
    {
        if (config?.DynamicBatching is not { } batching)
        {
            return null;
        }

        var maxBatch = config.MaxBatchSize is null or 0 ? DefaultMaxBatchSize : config.MaxBatchSize.Value;
        Check(maxBatch is >= 1 and <= 65536, $"max_batch_size must be between 1 and 65536, not {maxBatch}");
        var preferred = batching.PreferredBatchSize ?? [];
        foreach (var size in preferred)
        {
            Check(size >= 1 && size <= maxBatch, $"preferred_batch_size {size} must be between 1 and max_batch_size ({maxBatch})");
        }

        var delay = batching.MaxQueueDelayMicroseconds ?? 0;
        Check(delay is >= 0 and <= 10_000_000, $"max_queue_delay_microseconds must be between 0 and 10000000, not {delay}");
        var policy = batching.DefaultQueuePolicy;
        var queueSize = policy?.MaxQueueSize is null or 0 ? DefaultMaxQueueSize : policy.MaxQueueSize.Value;
        Check(queueSize >= 1, $"max_queue_size must be at least 1, not {queueSize}");
        var timeout = policy?.DefaultTimeoutMicroseconds ?? 0;
        Check(timeout >= 0, $"default_timeout_microseconds must not be negative, not {timeout}");

        foreach (var tensor in inputs.Concat(outputs))
        {
            var kind = inputs.Contains(tensor) ? "input" : "output";
            Check(
                tensor.Shape.Length >= 1 && tensor.Shape[0] < 0,
                $"dynamic_batching needs a dynamic first dimension on every input and output, but {kind} '{tensor.Name}' has shape {InferenceTensor.FormatShape(tensor.Shape)}");
        }

        return new BatchingOptions
        {
            MaxBatchSize = maxBatch,
            PreferredBatchSizes = [.. preferred.Distinct().OrderDescending()],
            MaxQueueDelay = TimeSpan.FromMicroseconds(delay),
            MaxQueueSize = queueSize,
            DefaultTimeout = timeout > 0 ? TimeSpan.FromMicroseconds(timeout) : null,
            AllowTimeoutOverride = policy?.AllowTimeoutOverride ?? false,
        };

        static void Check(bool condition, string problem)
        {
            if (!condition)
            {
                throw new InvalidDataException($"config.json: {problem}");
            }
        }
    }

    /// <summary>The queue timeout for <paramref name="request"/>: its own <c>timeout</c> parameter when allowed, else the default.</summary>
    public TimeSpan? TimeoutFor(InferenceRequest request)
    {
        if (AllowTimeoutOverride && request.Parameters?.GetValueOrDefault("timeout") is { } value)
        {
            return value.Kind == ParameterKind.Integer && value.Integer >= 0
                ? (value.Integer == 0 ? null : TimeSpan.FromMicroseconds(value.Integer))
                : throw InferenceException.BadRequest($"parameter 'timeout' must be a whole number of microseconds, not {value.ToString()}");
        }

        return DefaultTimeout;
    }

    /// <summary>The request's batch size: the first dimension, equal on every input and within <see cref="MaxBatchSize"/>.</summary>
    public int RowsOf(InferenceRequest request)
    {
        var rows = -1L;
        foreach (var input in request.Inputs)
        {
            var first = input.Shape.Length > 0 ? input.Shape[0] : 0;
            if (rows >= 0 && first != rows)
            {
                throw InferenceException.BadRequest($"every input must have the same batch size (first dimension); input '{input.Name}' has {first}, another has {rows}");
            }

            rows = first;
        }

        return rows switch
        {
            < 1 => throw InferenceException.BadRequest("a batched model needs a batch size (first dimension) of at least 1"),
            _ when rows > MaxBatchSize => throw InferenceException.BadRequest(
                $"a batch of {rows.ToString(CultureInfo.InvariantCulture)} rows is over the model's max_batch_size of {MaxBatchSize}"),
            _ => (int)rows,
        };
    }
}
