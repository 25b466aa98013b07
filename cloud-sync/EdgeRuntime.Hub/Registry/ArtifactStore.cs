using System.Security.Cryptography;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Registry;

/// <summary>
/// Content-addressed artifact files under <c>&lt;data&gt;/artifacts/&lt;sha256&gt;</c>: uploads are streamed to a temporary
/// file while hashed (whole file and every <see cref="ArtifactOptions.ChunkBytes"/> slice), then renamed into place.
/// Chunks are served from the file and checked against the slice index taken at upload.
/// </summary>
internal sealed class ArtifactStore(HubStore store, IOptions<HubOptions> options, TimeProvider time)
{
    private readonly string _directory = Path.Combine(options.Value.DataPath, "artifacts");
    private readonly ArtifactOptions _options = options.Value.Artifacts;

    public string PathOf(string artifactId) => Path.Combine(_directory, artifactId);

    /// <summary>
    /// Streams <paramref name="content"/> into the store; returns the artifact (existing or new), or null when it is
    /// larger than <see cref="ArtifactOptions.MaxBytes"/> (nothing is kept then).
    /// </summary>
    public async Task<ArtifactRow?> AddAsync(Stream content, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_directory);
        var temp = Path.Combine(_directory, $".upload-{Guid.NewGuid():N}");
        try
        {
            using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var chunk = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var index = new MemoryStream();
            var buffer = new byte[81920];
            long size = 0;
            var inChunk = 0;
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

                    whole.AppendData(buffer, 0, read);
                    var offset = 0;
                    while (offset < read)
                    {
                        var take = Math.Min(read - offset, _options.ChunkBytes - inChunk);
                        chunk.AppendData(buffer, offset, take);
                        inChunk += take;
                        offset += take;
                        if (inChunk == _options.ChunkBytes)
                        {
                            index.Write(chunk.GetHashAndReset());
                            inChunk = 0;
                        }
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                if (inChunk > 0)
                {
                    index.Write(chunk.GetHashAndReset());
                }

                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            var id = Convert.ToHexStringLower(whole.GetHashAndReset());
            var existing = store.GetArtifact(id);
            if (existing is not null && File.Exists(PathOf(id)))
            {
                return existing;
            }

            File.Move(temp, PathOf(id), overwrite: true);
            var row = existing ?? new ArtifactRow
            {
                Id = id,
                Size = size,
                ChunkBytes = _options.ChunkBytes,
                ChunkIndex = index.ToArray(),
                CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            store.AddArtifact(row);
            return row;
        }
        finally
        {
            File.Delete(temp);
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
