using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Contracts.Packages;
using EdgeRuntime.Device.Deployment.Packages;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// <c>edge-runtime package build</c>: a model directory into a (signed) package whose manifest the device can hold the
/// model to. Inputs, outputs and the smoke test's expected outputs come from loading the model through the device's own
/// session factory on the CPU, so the numbers are the ones a device computes.
/// </summary>
internal static class PackageBuild
{
    public static readonly string[] ValuedOptions =
        ["--model-dir", "--name", "--version", "--key", "--baseline", "--smoke-input", "--preprocessing", "--description", "--quantization", "--out"];

    public static readonly string[] Flags = ["--unsigned", "--no-smoke-test"];

    private const string ModelFile = "model.onnx";

    // Every device reads the whole manifest into memory before it can check anything; a smoke test this large (huge
    // tensors) would cost more than it checks.
    private const int MaxSmokeTestBytes = 16 << 20;

    private static readonly ContractsJsonContext Json = new(new JsonSerializerOptions(ContractsJsonContext.Default.Options) { WriteIndented = true });

    public static async Task<int> RunAsync(CommandOptions options, TextWriter output)
    {
        var directory = options.Required("--model-dir");
        var name = options.Required("--name");
        var version = options.Required("--version");
        var outPath = Path.GetFullPath(options.Required("--out"));
        var keyPath = options.Value("--key");
        var unsigned = options.Has("--unsigned");
        if (keyPath is null == !unsigned)
        {
            throw new CommandException($"give exactly one of --key KEY.pem (to sign) and --unsigned\n{PackageCommand.Usage}");
        }

        if (options.Value("--smoke-input") is not null && options.Has("--no-smoke-test"))
        {
            throw new CommandException("--smoke-input and --no-smoke-test exclude each other");
        }

        if (!EdgePackageFormat.IsValidModelName(name))
        {
            throw new CommandException($"--name {name}: a model name is 1-128 letters, digits, '.', '_' or '-'");
        }

        if (!EdgePackageFormat.IsValidVersion(version))
        {
            throw new CommandException($"--version {version}: a version is a positive integer");
        }

        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new CommandException($"--model-dir {directory}: no such directory");
        }

        var modelPath = Path.Combine(root, ModelFile);
        if (!File.Exists(modelPath))
        {
            throw new CommandException($"--model-dir {directory}: no {ModelFile} in it");
        }

        if (outPath.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new CommandException($"--out {outPath}: must not be inside --model-dir (the package would pack itself)");
        }

        using var key = keyPath is null ? null : LoadSigningKey(keyPath);
        var files = CollectFiles(root);
        var existing = ReadExistingManifest(root);
        var baseline = options.Value("--baseline") is { } baselinePath ? ReadJson(baselinePath, "--baseline", Json.DriftBaseline) : existing?.DriftBaseline;
        var preprocessing = options.Value("--preprocessing") is { } preprocessingPath
            ? ReadPreprocessing(preprocessingPath)
            : existing?.Preprocessing;

        using var session = Load(name, version, modelPath);
        var smokeTest = await SmokeTestAsync(session, options).ConfigureAwait(false);
        var manifest = new ModelManifest
        {
            Name = name,
            Version = version,
            Description = options.Value("--description") ?? existing?.Description,
            Labels = existing?.Labels,
            Inputs = [.. session.Inputs.Select(Describe)],
            Outputs = [.. session.Outputs.Select(Describe)],
            Quantization = options.Value("--quantization") ?? existing?.Quantization ?? QuantizationInspector.Inspect(modelPath).Summary,
            DriftBaseline = baseline,
            SmokeTest = smokeTest,
            Preprocessing = preprocessing,
            CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };

        // Written beside the target and renamed, so a failed build never leaves half a package under the final name.
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
        var temporary = $"{outPath}.{Environment.ProcessId}.tmp";
        ModelManifest written;
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                written = EdgePackageWriter.Write(stream, manifest, files, key);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, outPath, overwrite: true);
        }
        catch (ArgumentException ex)
        {
            throw new CommandException(ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new CommandException($"writing {outPath}: {ex.Message}", ex);
        }
        finally
        {
            File.Delete(temporary);
        }

        await output.WriteAsync(Summary(outPath, written, key)).ConfigureAwait(false);
        return 0;
    }

    private static ECDsa LoadSigningKey(string path)
    {
        var key = PackageCommand.LoadKey("--key", path);
        try
        {
            // Only a private key signs; a public one fails only at the end otherwise, after the model ran.
            key.ExportECPrivateKey();
            return key;
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new CommandException($"--key {path}: holds no private key (sign with the .key.pem file that 'package keygen' wrote)", ex);
        }
    }

    /// <summary>Every regular file under <paramref name="root"/> but the manifest, by relative path; a link anywhere is refused.</summary>
    private static List<PackageFile> CollectFiles(string root)
    {
        var files = new List<PackageFile>();
        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(root)]);
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos())
            {
                var relative = Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (entry.LinkTarget is not null)
                {
                    throw new CommandException($"{entry.FullName} is a symbolic link; packages hold regular files only (copy the file in instead)");
                }

                if (entry is DirectoryInfo child)
                {
                    pending.Push(child);
                }
                else if (relative is not (EdgePackageFormat.ManifestEntry or EdgePackageFormat.SignatureEntry))
                {
                    files.Add(new PackageFile(relative, entry.FullName));
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.EntryPath, b.EntryPath));
        return files;
    }

    private static ModelManifest? ReadExistingManifest(string root)
    {
        var path = Path.Combine(root, EdgePackageFormat.ManifestEntry);
        return File.Exists(path) ? ReadJson(path, path, ContractsJsonContext.Default.ModelManifest) : null;
    }

    /// <summary>An <c>{"image": {...}}</c> object, checked here so a mistake stops the build before the model runs.</summary>
    private static ModelPreprocessing ReadPreprocessing(string path)
    {
        var preprocessing = ReadJson(path, "--preprocessing", Json.ModelPreprocessing);
        if (preprocessing.Image is null)
        {
            throw new CommandException($"--preprocessing {path}: has no \"image\" object (e.g. {{\"image\": {{\"width\": 224, \"height\": 224}}}})");
        }

        return EdgePackageFormat.PreprocessingProblem(preprocessing) is { } problem
            ? throw new CommandException($"--preprocessing {path}: {problem}")
            : preprocessing;
    }

    private static T ReadJson<T>(string path, string what, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (!File.Exists(path))
        {
            throw new CommandException($"{what} {path}: no such file");
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), type) ?? throw new CommandException($"{path}: is null");
        }
        catch (JsonException ex)
        {
            throw new CommandException($"{path}: line {ex.LineNumber + 1}: {ex.Message}", ex);
        }
    }

    private static ModelSession Load(string name, string version, string modelPath)
    {
        try
        {
            var profile = new DeviceProfile { ExecutionProviders = ["CPU"], OptimizedModelCache = false };
            return new ModelSessionFactory(profile, cacheDirectory: null, NullLogger<ModelSessionFactory>.Instance).Create(name, version, modelPath);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException($"{modelPath} does not load: {ex.Message}", ex);
        }
    }

    private static async Task<SmokeTest?> SmokeTestAsync(ModelSession session, CommandOptions options)
    {
        if (options.Has("--no-smoke-test"))
        {
            return null;
        }

        IReadOnlyList<SmokeTensor> inputs;
        if (options.Value("--smoke-input") is { } inputPath)
        {
            inputs = ReadJson(inputPath, "--smoke-input", Json.IReadOnlyListSmokeTensor);
        }
        else
        {
            try
            {
                inputs = SmokeTestRunner.GenerateInputs(session.Inputs);
            }
            catch (ArgumentException ex)
            {
                throw new CommandException($"{ex.Message}; give the smoke test's inputs with --smoke-input, or --no-smoke-test");
            }
        }

        SmokeTest test;
        try
        {
            test = await SmokeTestRunner.RecordAsync(session, inputs).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandException($"smoke test: {ex.Message}", ex);
        }

        var size = JsonSerializer.SerializeToUtf8Bytes(test, ContractsJsonContext.Default.SmokeTest).Length;
        if (size > MaxSmokeTestBytes)
        {
            throw new CommandException($"the smoke test would add {size >> 20} MiB to the manifest (limit {MaxSmokeTestBytes >> 20} MiB); give smaller inputs with --smoke-input, or --no-smoke-test");
        }

        return test;
    }

    private static ManifestTensor Describe(TensorMetadata tensor) => new(tensor.Name, tensor.DataType.ToWireName(), [.. tensor.Shape]);

    private static string Summary(string path, ModelManifest manifest, ECDsa? key)
    {
        static string Tensors(IReadOnlyList<ManifestTensor>? tensors) =>
            string.Join(", ", (tensors ?? []).Select(t => $"{t.Name} {t.Datatype} {InferenceTensor.FormatShape([.. t.Shape])}"));

        static string Image(ImagePreprocessing? image) => image is null
            ? "none"
            : string.Create(CultureInfo.InvariantCulture, $"image {image.Width?.ToString(CultureInfo.InvariantCulture) ?? "input"} x {image.Height?.ToString(CultureInfo.InvariantCulture) ?? "input"}, {image.Resize ?? "stretch"}, {image.Layout ?? "nchw"}, {image.Color ?? "rgb"}");

        var files = manifest.Files!;
        var text = new StringBuilder()
            .AppendLine($"built:          {path} ({new FileInfo(path).Length} bytes)")
            .AppendLine($"model:          {manifest.Name} version {manifest.Version}")
            .AppendLine($"signed by:      {(key is null ? "nobody (unsigned)" : PackageKeys.KeyId(key))}")
            .AppendLine($"files:          {files.Count}, {files.Sum(f => f.Size)} bytes");
        foreach (var file in files)
        {
            text.AppendLine($"  {file.Path}  {file.Size} bytes");
        }

        return text
            .AppendLine($"inputs:         {Tensors(manifest.Inputs)}")
            .AppendLine($"outputs:        {Tensors(manifest.Outputs)}")
            .AppendLine($"quantization:   {manifest.Quantization ?? "unknown"}")
            .AppendLine($"drift baseline: {(manifest.DriftBaseline is { } b ? $"{b.Inputs.Count} input and {b.Outputs?.Count ?? 0} output features" : "none")}")
            .AppendLine($"preprocessing:  {Image(manifest.Preprocessing?.Image)}")
            .AppendLine($"smoke test:     {(manifest.SmokeTest is { } s ? $"{s.Inputs.Count} input(s), {s.Expected.Count} expected output(s)" : "none")}")
            .ToString();
    }
}
