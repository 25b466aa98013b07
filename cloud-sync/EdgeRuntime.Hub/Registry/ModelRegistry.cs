using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Registry;

/// <summary>Model versions: upload (content addressed, idempotent), list, retire.</summary>
internal sealed class ModelRegistry(HubStore store, ArtifactStore artifacts, TimeProvider time)
{
    /// <summary>A model name as Triton names them: 1–128 of letters, digits, <c>.</c>, <c>_</c>, <c>-</c>, not only dots.</summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 128 && !name.All(c => c == '.')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>A version is a positive integer without sign or leading zeros.</summary>
    public static bool TryParseVersion(string? text, out long version)
    {
        version = 0;
        return text is { Length: > 0 and <= 18 } && text[0] != '0' && text.All(char.IsAsciiDigit) && long.TryParse(text, out version);
    }

    public async Task<(ModelUploadOutcome Outcome, ModelVersionRow? Version, ArtifactRow? Artifact)> UploadAsync(
        string name, long version, Stream content, CancellationToken cancellationToken = default)
    {
        var artifact = await artifacts.AddAsync(content, cancellationToken);
        if (artifact is null)
        {
            return (ModelUploadOutcome.TooLarge, null, null);
        }

        var row = new ModelVersionRow
        {
            Name = name,
            Version = version,
            ArtifactId = artifact.Id,
            Size = artifact.Size,
            CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (store.TryAddModelVersion(row))
        {
            return (ModelUploadOutcome.Created, row, artifact);
        }

        var existing = store.GetModelVersion(name, version)!;
        return existing.ArtifactId == artifact.Id
            ? (ModelUploadOutcome.Unchanged, existing, artifact)
            : (ModelUploadOutcome.Conflict, existing, store.GetArtifact(existing.ArtifactId));
    }
}
