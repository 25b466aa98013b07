using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Fetches an artifact from the hub in chunks over <c>artifacts/request</c> → <c>artifacts/response</c> (MQTT 5
/// response topic and correlation data), verifying each chunk's offset and SHA-256 before it appends it to
/// <c>&lt;downloads&gt;/&lt;artifactId&gt;.part</c>, flushes it to disk and checkpoints the verified offset; after a
/// disconnect or a restart it resumes from that offset. Honours a bandwidth cap. The whole file is verified against the
/// descriptor's size and SHA-256 at the end; a mismatch deletes it.
/// </summary>
public sealed partial class ArtifactDownloader
{
    private readonly IHubLink _link;
    private readonly SyncOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<HubMessage>> _pending = new(StringComparer.Ordinal);
    private volatile DownloadProgress? _current;

    public ArtifactDownloader(IHubLink link, SyncOptions options, string directory, ILogger logger, TimeProvider? time = null)
    {
        _link = link;
        _options = options;
        _directory = Path.GetFullPath(directory);
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The download running now, or null.</summary>
    public DownloadProgress? Current => _current;

    /// <summary>Where partial downloads are kept.</summary>
    public string Directory => _directory;

    /// <summary>The <c>.part</c> file of an artifact.</summary>
    public string PartPath(string artifactId) => Path.Combine(_directory, artifactId + ".part");

    /// <summary>Hands a message from <c>artifacts/response</c> to the request waiting for it; false when none is.</summary>
    public bool TryComplete(HubMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return !response.CorrelationData.IsEmpty
            && _pending.TryRemove(Convert.ToHexString(response.CorrelationData.Span), out var waiting)
            && waiting.TrySetResult(response);
    }

    /// <summary>
    /// Downloads <paramref name="artifact"/> (resuming a partial download), calls <paramref name="started"/> with the
    /// offset it resumed from, and returns the path of the complete, verified file.
    /// </summary>
    /// <exception cref="ArtifactDownloadException">A chunk was refused past its retries, the hub answered with an error, or the whole file's size or hash is wrong.</exception>
    public async Task<string> DownloadAsync(ArtifactDescriptor artifact, string model, string version, Action<long>? started = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        if (!IsHexSha256(artifact.Id) || !IsHexSha256(artifact.Sha256) || artifact.Size < 0)
        {
            throw new ArtifactDownloadException($"artifact descriptor '{artifact.Id}' is invalid: id and sha256 must be 64 hex digits and size not negative");
        }

        System.IO.Directory.CreateDirectory(_directory);
        var partPath = PartPath(artifact.Id);
        var checkpointPath = Path.Combine(_directory, artifact.Id + ".json");
        var checkpoint = DurableFile.Read(checkpointPath, SyncStateJsonContext.Default.DownloadCheckpoint);
        var verified = checkpoint is not null && checkpoint.ArtifactId == artifact.Id && checkpoint.Size == artifact.Size ? checkpoint.VerifiedOffset : 0;
        try
        {
            using (var part = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read))
            {
                // Bytes past the checkpoint were never verified (a crash between append and checkpoint): drop them.
                verified = Math.Min(verified, part.Length);
                part.SetLength(verified);
                part.Position = verified;
                _current = new DownloadProgress(artifact.Id, model, version, verified, artifact.Size);
                LogStarted(artifact.Id, model, version, verified, artifact.Size);
                started?.Invoke(verified);
                var sessionStart = _time.GetTimestamp();
                long sessionBytes = 0;
                while (verified < artifact.Size)
                {
                    var length = (int)Math.Min(ChunkLength(), artifact.Size - verified);
                    var bytes = await FetchVerifiedAsync(artifact, verified, length, cancellationToken).ConfigureAwait(false);
                    await part.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                    part.Flush(flushToDisk: true);
                    verified += bytes.Length;
                    DurableFile.Write(checkpointPath, new DownloadCheckpoint(artifact.Id, artifact.Size, verified), SyncStateJsonContext.Default.DownloadCheckpoint);
                    _current = new DownloadProgress(artifact.Id, model, version, verified, artifact.Size);
                    sessionBytes += bytes.Length;
                    await ThrottleAsync(sessionStart, sessionBytes, cancellationToken).ConfigureAwait(false);
                }
            }

            var actual = await DurableFile.Sha256Async(partPath, cancellationToken).ConfigureAwait(false);
            var size = new FileInfo(partPath).Length;
            if (size != artifact.Size || !string.Equals(actual, artifact.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                Discard(artifact.Id);
                throw new ArtifactDownloadException($"artifact {artifact.Id}: the downloaded file has {size} bytes and SHA-256 {actual}, the descriptor says {artifact.Size} bytes and {artifact.Sha256}; discarded");
            }

            File.Delete(checkpointPath);
            LogCompleted(artifact.Id, artifact.Size);
            return partPath;
        }
        finally
        {
            _current = null;
        }
    }

    /// <summary>Deletes a partial or finished download and its checkpoint.</summary>
    public void Discard(string artifactId)
    {
        File.Delete(PartPath(artifactId));
        File.Delete(Path.Combine(_directory, artifactId + ".json"));
    }

    private int ChunkLength() =>
        _options.MaxDownloadBytesPerSecond > 0 ? (int)Math.Clamp(_options.MaxDownloadBytesPerSecond, 1, _options.ChunkBytes) : _options.ChunkBytes;

    /// <summary>Sleeps as long as this session is ahead of the cap.</summary>
    private async Task ThrottleAsync(long sessionStart, long sessionBytes, CancellationToken cancellationToken)
    {
        if (_options.MaxDownloadBytesPerSecond <= 0)
        {
            return;
        }

        var due = TimeSpan.FromSeconds((double)sessionBytes / _options.MaxDownloadBytesPerSecond);
        var ahead = due - _time.GetElapsedTime(sessionStart);
        if (ahead > TimeSpan.Zero)
        {
            await Task.Delay(ahead, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One chunk, retried while it is refused or does not come; waits out a dropped link without counting it.</summary>
    private async Task<byte[]> FetchVerifiedAsync(ArtifactDescriptor artifact, long offset, int length, CancellationToken cancellationToken)
    {
        var attempts = 0;
        while (true)
        {
            await _link.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
            var (bytes, problem) = await RequestAsync(artifact.Id, offset, length, cancellationToken).ConfigureAwait(false);
            if (bytes is not null)
            {
                return bytes;
            }

            if (!_link.Status.Connected)
            {
                LogInterrupted(artifact.Id, offset, problem);
                continue;
            }

            attempts++;
            LogChunkRefused(artifact.Id, offset, attempts, problem);
            if (attempts > _options.ChunkRetries)
            {
                throw new ArtifactDownloadException($"artifact {artifact.Id}: chunk at offset {offset} refused after {attempts} attempt(s): {problem}");
            }
        }
    }

    /// <summary>Asks for a chunk and checks the answer: the bytes, or why there are none.</summary>
    private async Task<(byte[]? Bytes, string Problem)> RequestAsync(string artifactId, long offset, int length, CancellationToken cancellationToken)
    {
        var correlation = Guid.NewGuid().ToByteArray();
        var key = Convert.ToHexString(correlation);
        var waiting = new TaskCompletionSource<HubMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = waiting;
        try
        {
            var request = new ArtifactChunkRequest { ArtifactId = artifactId, Offset = offset, Length = length };
            var published = await _link.PublishAsync(
                new HubMessage(SyncChannel.ArtifactRequest, JsonSerializer.SerializeToUtf8Bytes(request, SyncJsonContext.Default.ArtifactChunkRequest))
                {
                    ContentType = SyncHeaders.JsonContentType,
                    Properties = [KeyValuePair.Create(SyncHeaders.Schema, SyncProtocol.SchemaVersion.ToString(CultureInfo.InvariantCulture))],
                    CorrelationData = correlation,
                    ResponseChannel = SyncChannel.ArtifactResponse,
                },
                cancellationToken).ConfigureAwait(false);
            if (!published.Accepted)
            {
                return (null, $"request not accepted: {published.Reason}");
            }

            HubMessage response;
            try
            {
                response = await waiting.Task.WaitAsync(TimeSpan.FromSeconds(_options.ChunkTimeoutSeconds), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return (null, $"no answer within {_options.ChunkTimeoutSeconds} s");
            }

            if (response.Property(SyncHeaders.Error) is { } error)
            {
                throw new ArtifactDownloadException($"artifact {artifactId}: the hub refused the chunk at offset {offset}: {error}");
            }

            return Check(response, artifactId, offset, length);
        }
        finally
        {
            _pending.TryRemove(key, out _);
        }
    }

    private static (byte[]? Bytes, string Problem) Check(HubMessage response, string artifactId, long offset, int length)
    {
        var bytes = response.Payload.ToArray();
        if (response.Property(SyncHeaders.ArtifactId) is { } id && !string.Equals(id, artifactId, StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"the answer is for artifact {id}");
        }

        if (!long.TryParse(response.Property(SyncHeaders.ArtifactOffset), NumberStyles.None, CultureInfo.InvariantCulture, out var answered) || answered != offset)
        {
            return (null, $"the answer's {SyncHeaders.ArtifactOffset} is '{response.Property(SyncHeaders.ArtifactOffset)}', not {offset}");
        }

        if (bytes.Length == 0 || bytes.Length > length)
        {
            return (null, $"the answer holds {bytes.Length} bytes for a request of {length}");
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var promised = response.Property(SyncHeaders.ChunkSha256);
        if (!string.Equals(actual, promised, StringComparison.OrdinalIgnoreCase))
        {
            return (null, $"chunk SHA-256 {actual} does not match its {SyncHeaders.ChunkSha256} '{promised}'");
        }

        return (bytes, "");
    }

    private static bool IsHexSha256(string value) => value.Length == 64 && value.All(char.IsAsciiHexDigit);

    [LoggerMessage(EventId = 1620, Level = LogLevel.Information, Message = "Downloading artifact {ArtifactId} for {Model} version {Version} from offset {Offset} of {Size} bytes")]
    private partial void LogStarted(string artifactId, string model, string version, long offset, long size);

    [LoggerMessage(EventId = 1621, Level = LogLevel.Information, Message = "Artifact {ArtifactId} downloaded and verified ({Size} bytes)")]
    private partial void LogCompleted(string artifactId, long size);

    [LoggerMessage(EventId = 1622, Level = LogLevel.Warning, Message = "Artifact {ArtifactId}: chunk at offset {Offset} refused (attempt {Attempt}): {Reason}")]
    private partial void LogChunkRefused(string artifactId, long offset, int attempt, string reason);

    [LoggerMessage(EventId = 1623, Level = LogLevel.Information, Message = "Artifact {ArtifactId}: download interrupted at offset {Offset} by the link; resuming when it is back ({Reason})")]
    private partial void LogInterrupted(string artifactId, long offset, string reason);
}
