using System.Globalization;
using EdgeRuntime.Contracts.Batch;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Turns what callers send — the local API's <see cref="BatchJobRequest"/>, the hub's <c>run_batch</c> arguments, the
/// command line's options — into a <see cref="BatchJobSpec"/>, in one place, so every way in checks the same things.
/// </summary>
public static class BatchJobRequests
{
    /// <summary>The <c>run_batch</c> arguments, as the hub sends them: <see cref="BatchJobRequest"/>'s fields in snake_case.</summary>
    public static IReadOnlyList<string> ArgumentNames { get; } =
    [
        "id", "model", "version", "input", "format", "tensor", "table", "key", "columns",
        "output", "output_format", "outputs", "batch_size", "parallelism", "restart",
    ];

    /// <summary>Checks <paramref name="request"/> and makes the job it asks for, started by <paramref name="trigger"/>.</summary>
    /// <exception cref="BatchJobException">A field is missing or out of range; the message names it.</exception>
    public static BatchJobSpec ToSpec(BatchJobRequest request, string trigger)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = Required(request.Model, "model");
        var input = Required(request.Input?.Path, "input path");
        var output = Required(request.Output, "output");
        if (request.BatchSize is < 1)
        {
            throw new BatchJobException($"batch_size {request.BatchSize} must be at least 1");
        }

        if (request.Parallelism is < 1)
        {
            throw new BatchJobException($"parallelism {request.Parallelism} must be at least 1");
        }

        return new BatchJobSpec
        {
            Id = Optional(request.Id),
            Model = model,
            Version = Optional(request.Version),
            Input = new BatchInputOptions
            {
                Path = input,
                Format = Optional(request.Input?.Format),
                Tensor = Optional(request.Input?.Tensor),
                Table = Optional(request.Input?.Table),
                KeyColumn = Optional(request.Input?.Key),
                Columns = request.Input?.Columns is { Count: > 0 } columns ? columns : null,
            },
            Output = output,
            OutputFormat = Optional(request.OutputFormat),
            BatchSize = request.BatchSize,
            Parallelism = request.Parallelism,
            Outputs = request.Outputs is { Count: > 0 } outputs ? outputs : null,
            Restart = request.Restart,
            Trigger = trigger,
        };
    }

    /// <summary>
    /// Reads the hub's <c>run_batch</c> arguments (<see cref="ArgumentNames"/>; <c>columns</c> and <c>outputs</c>
    /// comma-separated, <c>restart</c> true or false) into a request.
    /// </summary>
    /// <exception cref="BatchJobException">An unknown argument, or a number or flag that does not parse.</exception>
    public static BatchJobRequest FromArguments(IReadOnlyDictionary<string, string>? arguments)
    {
        arguments ??= new Dictionary<string, string>();
        foreach (var name in arguments.Keys)
        {
            if (!ArgumentNames.Contains(name))
            {
                throw new BatchJobException($"unknown argument '{name}' (run_batch takes {string.Join(", ", ArgumentNames)})");
            }
        }

        string? Get(string name) => arguments.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        bool restart = false;
        if (Get("restart") is { } flag && !bool.TryParse(flag, out restart))
        {
            throw new BatchJobException($"restart '{flag}' must be true or false");
        }

        return new BatchJobRequest
        {
            Id = Get("id"),
            Model = Get("model"),
            Version = Get("version"),
            Input = new BatchJobInput
            {
                Path = Get("input"),
                Format = Get("format"),
                Tensor = Get("tensor"),
                Table = Get("table"),
                Key = Get("key"),
                Columns = SplitList(Get("columns")),
            },
            Output = Get("output"),
            OutputFormat = Get("output_format"),
            Outputs = SplitList(Get("outputs")),
            BatchSize = WholeNumber(Get("batch_size"), "batch_size"),
            Parallelism = WholeNumber(Get("parallelism"), "parallelism"),
            Restart = restart,
        };
    }

    /// <summary>Splits a comma-separated list, dropping empty entries; null for none.</summary>
    public static IReadOnlyList<string>? SplitList(string? text) =>
        text?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } items ? items : null;

    /// <summary>A positive whole number named <paramref name="name"/> in the error; null when absent.</summary>
    /// <exception cref="BatchJobException">The text is not a whole number of at least 1.</exception>
    public static int? WholeNumber(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw new BatchJobException($"{name} '{text}' must be a whole number of at least 1");
    }

    private static string Required(string? value, string name) =>
        Optional(value) ?? throw new BatchJobException($"{name} is required");

    private static string? Optional(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
