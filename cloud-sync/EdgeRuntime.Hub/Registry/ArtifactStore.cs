using System.Security.Cryptography;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Registry;

/// <summary>
/// Content-addressed artifact files under <c>&lt;data&gt;/artifacts/&lt;sha256&gt;</c>: uploads are streamed to a temporary
/// file while hashed; what is stored (the hub-signed package made from an upload) is hashed whole and in every
/// <see cref="ArtifactOptions.ChunkBytes"/> slice, then renamed into place.
/// Chunks are served from the file and checked against the slice index taken at upload.
/// </summary>
internal sealed class ArtifactStore(HubStore store, IOptions<HubOptions> options, TimeProvider time)
{
    private readonly string _directory = Path.Combine(options.Value.DataPath, "artifacts");
    private readonly ArtifactOptions _options = options.Value.Artifacts;

    public string PathOf(string artifactId) => Path.Combine(_directory, artifactId);

    /// <summary>A fresh path for a temporary file beside the artifacts, so moving it into place is a rename.</summary>
    public string NewTemporaryPath()
    {
        Directory.CreateDirectory(_directory);
        return Path.Combine(_directory, $".upload-{Guid.NewGuid():N}");
    }

    /// <summary>
    /// Streams an upload into a temporary file, hashing it; null when it is larger than <see cref="ArtifactOptions.MaxBytes"/>
    /// (nothing is kept then). Disposing the result deletes the file.
    /// </summary>
    public async Task<ArtifactUpload?> ReceiveAsync(Stream content, CancellationToken cancellationToken = default)
    {
        var temp = NewTemporaryPath();
        var kept = false;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > _options.MaxBytes)
                    {
                        return null;
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            kept = true;
            return new ArtifactUpload(temp, Convert.ToHexStringLower(hash.GetHashAndReset()), size);
        }
        finally
        {
            if (!kept)
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Takes the file at <paramref name="temporaryPath"/> (from <see cref="NewTemporaryPath"/>, flushed) into the store under
    /// its SHA-256, with the index of its <see cref="ArtifactOptions.ChunkBytes"/> slices; returns the artifact (existing or
    /// new). The temporary file is gone afterwards.
    /// </summary>
    public async Task<ArtifactRow> AddAsync(string temporaryPath, string format, CancellationToken cancellationToken = default)
    {
        try
        {
            using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var index = new MemoryStream();
            var buffer = new byte[_options.ChunkBytes];
            long size = 0;
            await using (var file = new FileStream(temporaryPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            {
                int read;
                while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    size += read;
                    whole.AppendData(buffer, 0, read);
                    chunk.AppendData(buffer, 0, read);
                    index.Write(chunk.GetHashAndReset());
                }
            }

            var id = Convert.ToHexStringLower(whole.GetHashAndReset());
            var existing = store.GetArtifact(id);
            if (existing is not null && File.Exists(PathOf(id)))
            {
                return existing;
            }

            File.Move(temporaryPath, PathOf(id), overwrite: true);
            var row = existing ?? new ArtifactRow
            {
                Id = id,
                Size = size,
                ChunkBytes = _options.ChunkBytes,
                ChunkIndex = index.ToArray(),
                CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
                Format = format,
            };
            store.AddArtifact(row);
            return row;
        }
        finally
        {
            File.Delete(temporaryPath);
        }
    }

    /// <summary>
    /// Reads [offset, offset+length) of the artifact, clipped to its size, and checks every index slice the range
    /// covers whole against the hash taken at upload. Returns the bytes or why they cannot be served.
    /// </summary>
    public async Task<ChunkReadResult> ReadChunkAsync(ArtifactRow artifact, long offset, int length, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || length <= 0 || offset >= artifact.Size && !(offset == 0 && artifact.Size == 0))
        {
            return ChunkReadResult.Fail($"bad range: offset {offset}, length {length}, artifact size {artifact.Size}");
        }

        var count = (int)Math.Min(length, artifact.Size - offset);
        var bytes = new byte[count];
        try
        {
            using var handle = File.OpenHandle(PathOf(artifact.Id), FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
            var total = 0;
            while (total < count)
            {
                var read = await RandomAccess.ReadAsync(handle, bytes.AsMemory(total), offset + total, cancellationToken);
                if (read == 0)
                {
                    return ChunkReadResult.Fail($"artifact corrupted at offset {offset + total}: file shorter than its size {artifact.Size}");
                }

                total += read;
            }
        }
        catch (FileNotFoundException)
        {
            return ChunkReadResult.Fail("artifact file missing from the hub's store");
        }

        // Every index slice that lies wholly inside the range is checked; a range that covers none (unaligned, or
        // shorter than a slice) is served unchecked, its hash taken over the bytes read.
        var slice = artifact.ChunkBytes;
        var first = (offset + slice - 1) / slice;
        for (var i = first; (i * slice) < offset + count; i++)
        {
            var start = i * slice;
            var end = Math.Min(start + slice, artifact.Size);
            if (end > offset + count)
            {
                break;
            }

            var expected = artifact.ChunkIndex.AsSpan((int)(i * 32), 32);
            var actual = SHA256.HashData(bytes.AsSpan((int)(start - offset), (int)(end - start)));
            if (!actual.AsSpan().SequenceEqual(expected))
            {
                return ChunkReadResult.Fail($"artifact corrupted at offset {start}");
            }
        }

        return ChunkReadResult.Ok(bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
