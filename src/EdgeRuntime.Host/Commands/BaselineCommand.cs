using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// <c>edge-runtime baseline</c>: computes a model's drift baseline (<c>drift_baseline</c> in
/// <c>manifest.json</c>) from a data file, with the model's output distribution when the model is given.
/// </summary>
internal static class BaselineCommand
{
    public const string Name = "baseline";

    public const string Usage = """
        usage: edge-runtime baseline --input FILE [--model DIR_OR_ONNX] [--tensor NAME] [--bins N] [--output FILE | --write-manifest]

          --input FILE       data: .csv (header row, one numeric column per feature), .jsonl (one OIP inference
                             request per line) or .npy (first dimension = rows)
          --model PATH       a model version directory (holding model.onnx) or an .onnx file: the data runs
                             through it and the baseline includes its outputs
          --tensor NAME      the input tensor the CSV/.npy data is (default: the model's only input, else 'input');
                             for .jsonl, only this input goes into the baseline
          --bins N           equal-frequency bins per feature (default 10)
          --output FILE      write the baseline JSON there (default: standard output)
          --write-manifest   write it into the model version directory's manifest.json as drift_baseline,
                             keeping the manifest's other fields (needs --model DIR)
        """;

    private const int DefaultBatchRows = 256;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args is ["--help"] or ["-h"])
        {
            await output.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }

        var options = Parse(args);
        using var session = options.Model is { } model ? LoadModel(model) : null;
        var modelInput = SelectInput(session, options.Tensor);
        var tensor = options.Tensor ?? modelInput?.Name ?? "input";
        var batchRows = modelInput is { Shape: [> 0 and var fixedRows, ..] } ? (int)fixedRows : DefaultBatchRows;
        var builder = new DriftBaselineBuilder(options.Bins);
        var rows = 0L;
        foreach (var batch in BaselineSource.Read(options.Input, tensor, modelInput, batchRows))
        {
            using var request = new InferenceRequest { Inputs = batch };
            var picked = Path.GetExtension(options.Input).Equals(".jsonl", StringComparison.OrdinalIgnoreCase) && options.Tensor is { } only
                ? batch.Where(t => t.Name == only).ToList()
                : batch;
            if (picked.Count == 0)
            {
                throw new CommandException($"{Path.GetFileName(options.Input)}: request {rows + 1} has no input '{options.Tensor}'");
            }

            builder.AddInputs(picked);
            if (session is not null)
            {
                using var response = Run(session, request, builder.Rows);
                builder.AddOutputs(response.Outputs);
            }

            rows = builder.Rows;
        }

        DriftBaseline baseline;
        try
        {
            baseline = builder.Build(Path.GetFileName(options.Input));
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException($"{Path.GetFileName(options.Input)}: {ex.Message}", ex);
        }

        if (options.WriteManifest)
        {
            var path = WriteManifest(options.Model!, baseline);
            await error.WriteLineAsync($"wrote drift_baseline ({baseline.Inputs.Count} input and {baseline.Outputs?.Count ?? 0} output features, {baseline.Rows} rows) to {path}").ConfigureAwait(false);
        }
        else if (options.Output is { } file)
        {
            await File.WriteAllTextAsync(file, Serialize(baseline)).ConfigureAwait(false);
        }
        else
        {
            await output.WriteLineAsync(Serialize(baseline)).ConfigureAwait(false);
        }

        return 0;
    }

    private static Options Parse(string[] args)
    {
        string? input = null, model = null, tensor = null, outputFile = null;
        var bins = 10;
        var writeManifest = false;
        for (var i = 0; i < args.Length; i++)
        {
            var (option, inline) = args[i].Split('=', 2) is [var o, var v] && o.StartsWith("--", StringComparison.Ordinal) ? (o, v) : (args[i], null);
            string Value() => inline ?? (i + 1 < args.Length ? args[++i] : throw new CommandException($"{option} needs a value\n{Usage}"));
            switch (option)
            {
                case "--input": input = Value(); break;
                case "--model": model = Value(); break;
                case "--tensor": tensor = Value(); break;
                case "--output": outputFile = Value(); break;
                case "--write-manifest": writeManifest = true; break;
                case "--bins":
                    var text = Value();
                    if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bins) || bins is < 1 or > 1000)
                    {
                        throw new CommandException($"--bins {text}: must be a whole number from 1 to 1000");
                    }

                    break;
                default: throw new CommandException($"unknown option '{args[i]}'\n{Usage}");
            }
        }

        if (input is null)
        {
            throw new CommandException($"--input is required\n{Usage}");
        }

        if (writeManifest && outputFile is not null)
        {
            throw new CommandException("--output and --write-manifest exclude each other");
        }

        if (writeManifest && (model is null || !Directory.Exists(model)))
        {
            throw new CommandException("--write-manifest needs --model to be a model version directory");
        }

        return new Options(input, model, tensor, bins, outputFile, writeManifest);
    }

    private static ModelSession LoadModel(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "model.onnx") : path;
        if (!File.Exists(file))
        {
            throw new CommandException($"--model {path}: no {(Directory.Exists(path) ? "model.onnx in that directory" : "such file")}");
        }

        var full = Path.GetFullPath(file);
        var (name, version) = Directory.Exists(path)
            ? (Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(full))!), Path.GetFileName(Path.GetDirectoryName(full)!))
            : (Path.GetFileNameWithoutExtension(full), "1");
        try
        {
            var factory = new ModelSessionFactory(new DeviceProfile(), cacheDirectory: null, NullLogger<ModelSessionFactory>.Instance);
            return factory.Create(name, version, full);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException($"--model {path}: {ex.Message}", ex);
        }
    }

    private static TensorMetadata? SelectInput(ModelSession? session, string? tensor)
    {
        if (session is null)
        {
            return null;
        }

        if (tensor is not null)
        {
            return session.Inputs.FirstOrDefault(i => i.Name == tensor)
                ?? throw new CommandException($"--tensor {tensor}: the model has inputs {string.Join(", ", session.Inputs.Select(i => $"'{i.Name}'"))}");
        }

        return session.Inputs.Count == 1 ? session.Inputs[0] : null;
    }

    private static InferenceResponse Run(ModelSession session, InferenceRequest request, long rowsSoFar)
    {
        try
        {
            return session.Run(request, session.Name);
        }
        catch (InferenceException ex)
        {
            throw new CommandException($"running the model on the rows after row {rowsSoFar - request.Inputs[0].Shape.FirstOrDefault(1)}: {ex.Message}", ex);
        }
    }

    private static string Serialize(DriftBaseline baseline) =>
        JsonSerializer.Serialize(baseline, IndentedContext.DriftBaseline);

    private static string WriteManifest(string versionDirectory, DriftBaseline baseline)
    {
        var path = Path.Combine(versionDirectory, "manifest.json");
        JsonObject manifest;
        try
        {
            manifest = File.Exists(path)
                ? JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                    ?? throw new CommandException($"{path}: not a JSON object")
                : [];
        }
        catch (JsonException ex)
        {
            throw new CommandException($"{path}: line {ex.LineNumber + 1}: {ex.Message}", ex);
        }

        // Edited as JSON, not as a ModelManifest, so fields this version does not know survive.
        manifest["drift_baseline"] = JsonSerializer.SerializeToNode(baseline, IndentedContext.DriftBaseline);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            manifest.WriteTo(writer);
        }

        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static ContractsJsonContext IndentedContext { get; } = new(new JsonSerializerOptions(ContractsJsonContext.Default.Options) { WriteIndented = true });

    private sealed record Options(string Input, string? Model, string? Tensor, int Bins, string? Output, bool WriteManifest);
}
