using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Batch.Inputs;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Batch;

/// <summary>Opens batch inputs by format.</summary>
public static class BatchInputs
{
    /// <summary>The format words <see cref="BatchInputOptions.Format"/> takes.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["csv", "jsonl", "npy", "sqlite", "images"];

    /// <summary>
    /// Opens <paramref name="options"/>' input for a model with <paramref name="modelInputs"/> (image folders are
    /// preprocessed as <paramref name="manifest"/>'s <c>preprocessing</c> says).
    /// </summary>
    /// <exception cref="BatchInputException">The input cannot be read at all, with the reason.</exception>
    public static IBatchInput Open(BatchInputOptions options, IReadOnlyList<TensorMetadata> modelInputs, ModelManifest? manifest)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(modelInputs);
        var path = Path.GetFullPath(options.Path);
        var isFolder = Directory.Exists(path);
        if (!isFolder && !File.Exists(path))
        {
            throw new BatchInputException($"{path}: no such file or folder");
        }

        var format = FormatOf(options.Format, path, isFolder);
        if (isFolder != (format == "images"))
        {
            throw new BatchInputException(isFolder
                ? $"{path}: is a folder, which only the 'images' format reads"
                : $"{path}: is a file, but the 'images' format reads a folder of images");
        }

        if (format == "jsonl")
        {
            return new JsonlInput(path, modelInputs);
        }

        var image = manifest?.Preprocessing?.Image;
        var input = TargetInput(options.Tensor ?? (format == "images" ? image?.Input : null), modelInputs, format);
        return format switch
        {
            "csv" => CsvInput.Open(path, input, options.KeyColumn, options.Columns),
            "npy" => NpyInput.Open(path, input),
            "sqlite" => SqliteInput.Open(path, input, options.Table, options.KeyColumn, options.Columns),
            _ => ImageFolderInput.Open(path, input, image),
        };
    }

    private static string FormatOf(string? format, string path, bool isFolder)
    {
        if (format is not null)
        {
            var word = format.Trim().ToLowerInvariant();
            word = word == "ndjson" ? "jsonl" : word;
            return Formats.Contains(word)
                ? word
                : throw new BatchInputException($"unknown input format '{format}' (use {string.Join(", ", Formats)})");
        }

        if (isFolder)
        {
            return "images";
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".csv" => "csv",
            ".jsonl" or ".ndjson" => "jsonl",
            ".npy" => "npy",
            ".db" or ".sqlite" or ".sqlite3" => "sqlite",
            var other => throw new BatchInputException(
                $"{path}: unknown input format '{other}' (use .csv, .jsonl or .ndjson, .npy, .db, .sqlite or .sqlite3, or a folder of images; or name the format)"),
        };
    }

    /// <summary>The one model input that CSV, .npy, table and image rows fill.</summary>
    private static TensorMetadata TargetInput(string? name, IReadOnlyList<TensorMetadata> modelInputs, string format)
    {
        if (modelInputs.Count > 1)
        {
            throw new BatchInputException(
                $"the model has inputs {InputCheck.Names(modelInputs)}, and {format} rows fill only one; give every input with a jsonl input (one inference request per line)");
        }

        var only = modelInputs.Count == 1 ? modelInputs[0] : throw new BatchInputException("the model has no inputs");
        return name is null || name == only.Name
            ? only
            : throw new BatchInputException($"the model has no input '{name}'; its input is '{only.Name}'");
    }
}
