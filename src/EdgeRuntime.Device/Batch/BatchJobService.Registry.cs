using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Deployment;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Batch;

public sealed partial class BatchJobService
{
    /// <summary>
    /// Reads the registry once: jobs that were running when the host stopped are queued again, and those whose cancel was
    /// recorded end cancelled. A registry that is there but not readable JSON is never taken for an empty one: a copy is
    /// kept beside it (<c>jobs.json.&lt;ms&gt;.bad</c>), the error logged, and the jobs that can still be read are kept.
    /// Returns false while the file cannot be read at all (or the copy cannot be made); the service then starts nothing,
    /// refuses new jobs, and tries again at the next call. Called with the gate held.
    /// </summary>
    private bool EnsureLoaded()
    {
        if (_loaded)
        {
            return true;
        }

        List<BatchJobEntry> entries;
        try
        {
            entries = ReadRegistry();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (_loadFailure is null)
            {
                LogRegistryUnreadable(_logger, _registryPath, ex.Message);
            }

            _loadFailure = ex.Message;
            return false;
        }

        _loaded = true;
        _loadFailure = null;
        var cancelled = new List<BatchJobStatus>();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var entry in entries)
        {
            // A hand-edited entry may say null where a job cannot.
            if (entry.Spec is null || entry.Status is null || entry.Spec.Id is not { } id)
            {
                continue;
            }

            var status = entry.Status;
            if (!BatchJobStates.IsFinished(status.State) && entry.CancelRequested)
            {
                status = status with { State = BatchJobStates.Cancelled, Reason = "cancelled (the host stopped before the job did)", FinishedMs = now };
                cancelled.Add(status);
            }
            else if (status.State == BatchJobStates.Running)
            {
                status = status with { State = BatchJobStates.Queued };
            }

            _jobs[id] = new Job(entry.Spec, status, entry.SubmittedMs);
        }

        foreach (var status in cancelled)
        {
            LogCancelledWhileDown(_logger, status.Id);
            _metrics?.BatchJobs.WithLabels(BatchJobStates.Cancelled).Inc();
            _runner.Publish(status);
        }

        if (cancelled.Count > 0)
        {
            SaveLogged();
        }

        var resumed = _jobs.Values.Count(j => j.Status.State == BatchJobStates.Queued);
        if (resumed > 0)
        {
            LogResuming(_logger, resumed, _registryPath);
        }

        StartQueued();
        return true;
    }

    /// <summary>The registry's entries; what can be read of a damaged one, after keeping a copy of it.</summary>
    /// <exception cref="IOException">The file cannot be read, or the copy cannot be made.</exception>
    private List<BatchJobEntry> ReadRegistry()
    {
        if (!File.Exists(_registryPath))
        {
            return [];
        }

        var bytes = File.ReadAllBytes(_registryPath);
        try
        {
            if (JsonSerializer.Deserialize(bytes, BatchJsonContext.Default.BatchJobRegistry) is { } registry)
            {
                return [.. registry.Jobs?.OfType<BatchJobEntry>() ?? []];
            }
        }
        catch (JsonException)
        {
        }

        var copy = string.Create(CultureInfo.InvariantCulture, $"{_registryPath}.{_time.GetUtcNow().ToUnixTimeMilliseconds()}.bad");
        File.WriteAllBytes(copy, bytes);
        var salvaged = Salvage(bytes);
        LogRegistryDamaged(_logger, _registryPath, copy, salvaged.Count);
        return salvaged;
    }

    /// <summary>
    /// The entries of a damaged registry's <c>jobs</c> array that still read as jobs, each on its own; the reading stops
    /// where the JSON itself breaks off (a cut file keeps the entries before the cut).
    /// </summary>
    private static List<BatchJobEntry> Salvage(byte[] bytes)
    {
        var entries = new List<BatchJobEntry>();
        var reader = new Utf8JsonReader(bytes);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1 || !reader.ValueTextEquals("jobs"u8))
                {
                    continue;
                }

                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                {
                    break;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    try
                    {
                        if (JsonSerializer.Deserialize(bytes.AsSpan(start, (int)reader.BytesConsumed - start), BatchJsonContext.Default.BatchJobEntry) is { } entry)
                        {
                            entries.Add(entry);
                        }
                    }
                    catch (JsonException)
                    {
                        // This entry is not a job; the ones after it may be.
                    }
                }

                break;
            }
        }
        catch (JsonException)
        {
            // The file breaks off here: what came before is kept.
        }

        return entries;
    }

    /// <summary>Forgets the oldest finished jobs past <see cref="KeepFinished"/>. Called with the gate held.</summary>
    private void Trim()
    {
        var finished = _jobs.Values.Where(j => BatchJobStates.IsFinished(j.Status.State)).OrderByDescending(j => j.SubmittedMs).Skip(KeepFinished).ToList();
        foreach (var job in finished)
        {
            _jobs.Remove(job.Spec.Id!);
        }
    }

    /// <summary>Writes the registry whole (temp file, fsync, rename). Called with the gate held, once the registry was read.</summary>
    private void Save()
    {
        Directory.CreateDirectory(_paths.StateDirectory);
        var registry = new BatchJobRegistry
        {
            Jobs =
            [
                .. _jobs.Values.OrderBy(j => j.SubmittedMs).Select(j => new BatchJobEntry
                {
                    Spec = j.Spec,
                    Status = j.Status,
                    SubmittedMs = j.SubmittedMs,
                    CancelRequested = j.CancelRequested && !BatchJobStates.IsFinished(j.Status.State),
                }),
            ],
        };
        DurableFile.Write(_registryPath, registry, BatchJsonContext.Default.BatchJobRegistry);
    }

    private void SaveLogged()
    {
        try
        {
            Save();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRegistryNotSaved(_logger, _registryPath, ex.Message);
        }
    }

    [LoggerMessage(EventId = 1822, Level = LogLevel.Information, Message = "Resuming {Count} batch job(s) queued or running when the host last stopped ({Path})")]
    private static partial void LogResuming(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 1823, Level = LogLevel.Warning, Message = "Could not save the batch job registry {Path}: {Reason}")]
    private static partial void LogRegistryNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1832, Level = LogLevel.Error, Message = "The batch job registry {Path} is damaged: kept a copy as {Copy}, and resuming the {Count} job(s) that could still be read from it")]
    private static partial void LogRegistryDamaged(ILogger logger, string path, string copy, int count);

    [LoggerMessage(EventId = 1833, Level = LogLevel.Error, Message = "The batch job registry {Path} cannot be read; no batch job is started or accepted until it can: {Reason}")]
    private static partial void LogRegistryUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1834, Level = LogLevel.Information, Message = "Batch job {Job} was being cancelled when the host stopped; it ends cancelled")]
    private static partial void LogCancelledWhileDown(ILogger logger, string job);
}
