using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Puts a verified model file into the repository as <c>&lt;repo&gt;/&lt;name&gt;/&lt;version&gt;/model.onnx</c> in one
/// step (written into a hidden directory beside it, flushed, then the directory renamed), loads it, and takes it out
/// again when it does not load, so that the version served before keeps serving.
/// </summary>
internal sealed class ModelInstaller
{
    private const string ModelFileName = "model.onnx";

    private readonly ModelRepository _repository;

    public ModelInstaller(ModelRepository repository)
    {
        _repository = repository;
    }

    /// <summary>The installed file of a version, whether or not it exists.</summary>
    public string ModelPath(string name, string version) => Path.Combine(_repository.Root, name, version, ModelFileName);

    /// <summary>Installs and loads <paramref name="source"/> as <paramref name="name"/> <paramref name="version"/>; null when it serves, else why not.</summary>
    public async Task<string?> InstallAsync(string name, string version, string source, CancellationToken cancellationToken = default)
    {
        var modelDirectory = Path.Combine(_repository.Root, name);
        Directory.CreateDirectory(modelDirectory);
        var staging = Path.Combine(modelDirectory, $".{version}.installing-{Guid.NewGuid():N}");
        var target = Path.Combine(modelDirectory, version);
        var replaced = Path.Combine(modelDirectory, $".{version}.replaced-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            using (var input = File.OpenRead(source))
            using (var output = new FileStream(Path.Combine(staging, ModelFileName), FileMode.CreateNew, FileAccess.Write))
            {
                await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }

            if (Directory.Exists(target))
            {
                Directory.Move(target, replaced);
            }

            Directory.Move(staging, target);
        }
        catch
        {
            DeleteDirectory(staging);
            throw;
        }

        var reason = await LoadAsync(name, version, cancellationToken).ConfigureAwait(false);
        if (reason is null)
        {
            DeleteDirectory(replaced);
            return null;
        }

        DeleteDirectory(target);
        if (Directory.Exists(replaced))
        {
            Directory.Move(replaced, target);
        }

        await LoadAsync(name, null, cancellationToken).ConfigureAwait(false);
        return reason;
    }

    /// <summary>Loads the model; null when <paramref name="version"/> (or, when null, any version) is ready, else why not.</summary>
    private async Task<string?> LoadAsync(string name, string? version, CancellationToken cancellationToken)
    {
        try
        {
            await _repository.LoadAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            if (version is null)
            {
                return ex.Message;
            }
        }

        var versions = _repository.Find(name) ?? [];
        var status = version is null
            ? versions.FirstOrDefault(v => v.State == ModelState.Ready)
            : versions.FirstOrDefault(v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) == version);
        return status switch
        {
            { State: ModelState.Ready } => null,
            null => $"version {version} is not in the repository after the install",
            _ => $"version {version} did not load: {status.Reason}",
        };
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
