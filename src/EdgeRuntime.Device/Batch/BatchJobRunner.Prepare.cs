using System.Text.Json;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Logging;
using SQLite;

namespace EdgeRuntime.Device.Batch;

public sealed partial class BatchJobRunner
{
    /// <summary>Refuses a batch size or parallelism out of range, before anything is opened.</summary>
    /// <exception cref="BatchJobException">With the allowed range.</exception>
    internal static void CheckSizes(BatchJobSpec spec)
    {
        if (spec.BatchSize is < 1 or > MaxBatchSize)
        {
            throw new BatchJobException($"batch_size must be 1–{MaxBatchSize}, not {spec.BatchSize}");
        }

        if (spec.Parallelism is < 1)
        {
            throw new BatchJobException($"parallelism must be at least 1, not {spec.Parallelism}");
        }
    }

    /// <summary>
    /// Refuses a job that would read or write the device's own state (the job service's folder, the model repository, the
    /// compiled-model cache, the telemetry store) — in the host and standalone alike — or overwrite its own input.
    /// </summary>
    private void CheckFiles(BatchJobFiles files)
    {
        foreach (var path in files.Written.Prepend(files.Input))
        {
            if (_paths.Protected(path) is { } touches)
            {
                throw new BatchJobException($"{path} is inside {touches}, which batch jobs may never read or write", BatchJobErrorKind.Forbidden);
            }

            if (path != files.Input && BatchPaths.Same(path, files.Input))
            {
                throw new BatchJobException($"the output {files.Output} would overwrite the job's input");
            }
        }
    }

    /// <summary>Takes the job database's lock for the run: a second run of the same job — in this process or another — is refused.</summary>
    private static BatchJobLock Lock(BatchJobSpec spec, BatchJobFiles files)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(files.Output)!);
        return BatchJobLock.Acquire(files.Lock, spec.Id ?? DefaultJobId(files.Output));
    }

    /// <summary>
    /// Opens the job for a run: finds its checkpoint (refusing another job's unless the spec says Restart), resolves the
    /// model version (the pinned one when resuming), loads the job's own session, opens the input and checks it is the
    /// one the checkpoint was made over, and creates or reopens the job database and output file at the committed point.
    /// </summary>
    private BatchRun Prepare(BatchJobSpec spec, BatchJobFiles files)
    {
        var output = files.Output;
        var inputPath = files.Input;
        var format = files.Format;
        var databasePath = files.Database;
        for (var attempt = 0; ; attempt++)
        {
            var existing = OpenCheckpoint(output, databasePath, format, spec.Restart);
            ModelSession? session = null;
            IBatchInput? input = null;
            FileStream? text = null;
            try
            {
                var conflict = existing is null ? null : Conflict(existing, spec, inputPath, format);
                if (conflict is null && existing is not null)
                {
                    // Resolved now that the model is known: the input's fingerprint, the output's committed length.
                    (session, input, conflict) = OpenForResume(existing, spec, inputPath);
                }

                if (conflict is not null)
                {
                    if (!spec.Restart || attempt > 0)
                    {
                        throw new BatchJobException(conflict, BatchJobErrorKind.Conflict);
                    }

                    LogRestarted(_logger, existing![BatchJobKeys.Id]!, output, conflict);
                    input?.Dispose();
                    session?.Dispose();
                    Discard(existing, output, databasePath, format);
                    continue;
                }

                var model = existing is null
                    ? BatchModel.Resolve(_runtime.ModelRepositoryPath, spec.Model, spec.Version)
                    : ResolvePinned(existing, spec);
                session ??= LoadSession(model);
                var outputs = KeptOutputs(session, spec.Outputs ?? RecordedOutputs(existing));
                var batchable = session.Inputs.Concat(session.Outputs).All(t => t.Shape.Length >= 1 && t.Shape[0] < 0);
                var batchSize = BatchModel.BatchSize(model.Config, batchable, spec.BatchSize ?? RecordedBatchSize(existing), DefaultBatchSize, MaxBatchSize);
                input ??= OpenInput(spec, inputPath, session, model);
                var resumed = existing is null ? 0 : existing.Number(BatchJobKeys.RowsSucceeded) + existing.Number(BatchJobKeys.RowsFailed);
                var completed = existing?[BatchJobKeys.State] == BatchJobStates.Completed;
                var database = existing;
                if (database is null)
                {
                    database = CreateCheckpoint(spec, databasePath, format, model, input, outputs, batchSize, output, inputPath);
                    text = format == BatchOutput.Sqlite ? null : new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read);
                }
                else if (!completed)
                {
                    text = format == BatchOutput.Sqlite ? null : OpenText(database, output);
                    database.Set(new Dictionary<string, string?>(StringComparer.Ordinal)
                    {
                        [BatchJobKeys.State] = BatchJobStates.Running,
                        [BatchJobKeys.Reason] = null,
                        [BatchJobKeys.Trigger] = spec.Trigger,
                    });
                }

                return new BatchRun
                {
                    Id = database[BatchJobKeys.Id]!,
                    Model = model,
                    Session = session,
                    Input = input,
                    Database = database,
                    Output = new BatchOutput(format, outputs, batchable),
                    OutputPath = output,
                    InputPath = database[BatchJobKeys.InputPath],
                    Text = text,
                    Batchable = batchable,
                    BatchSize = batchSize,
                    Parallelism = Parallelism(spec, database[BatchJobKeys.Id]!),
                    AlreadyCompleted = completed,
                    RowsResumed = resumed,
                };
            }
            catch (Exception ex)
            {
                text?.Dispose();
                input?.Dispose();
                session?.Dispose();
                existing?.Dispose();
                if (ex is SQLiteException or IOException or UnauthorizedAccessException)
                {
                    throw new BatchJobException($"cannot open the output {output}: {ex.Message}", ex);
                }

                throw;
            }
        }
    }

    /// <summary>
    /// Workers: the spec's, else the configured number, else all cores standalone. In the host never more than the job's
    /// part of the core share: floor(cores × <see cref="BatchOptions.CoreShare"/>), at least one, split evenly between
    /// the <see cref="BatchOptions.MaxConcurrentJobs"/> jobs that may run at once, at least one each.
    /// </summary>
    private int Parallelism(BatchJobSpec spec, string job)
    {
        var asked = spec.Parallelism ?? (_options.Parallelism > 0 ? _options.Parallelism : (int?)null);
        if (!_inHost)
        {
            return asked ?? Environment.ProcessorCount;
        }

        var share = Math.Max(1, (int)Math.Floor(Environment.ProcessorCount * _options.CoreShare));
        var perJob = Math.Max(1, share / Math.Max(1, _options.MaxConcurrentJobs));
        if (asked > perJob)
        {
            LogParallelismCapped(_logger, job, asked.Value, perJob);
        }

        return Math.Min(asked ?? perJob, perJob);
    }

    /// <summary>
    /// The job database at the output, or null for a fresh start. What is there but not a job's (another database, a
    /// CSV file without a job database beside it) is refused — or, with Restart, deleted.
    /// </summary>
    private BatchJobDatabase? OpenCheckpoint(string output, string databasePath, string format, bool restart)
    {
        BatchJobDatabase? database;
        try
        {
            database = BatchJobDatabase.OpenExisting(databasePath);
        }
        catch (BatchJobException ex)
        {
            if (!restart)
            {
                throw new BatchJobException($"{ex.Message}; pass Restart to replace it", ex, BatchJobErrorKind.Conflict);
            }

            LogReplaced(_logger, databasePath, ex.Message);
            if (format != BatchOutput.Sqlite)
            {
                File.Delete(output);
            }

            BatchJobDatabase.Delete(databasePath);
            database = null;
        }

        if (database is null && format != BatchOutput.Sqlite && File.Exists(output))
        {
            if (!restart)
            {
                throw new BatchJobException($"{output} exists but has no job database beside it ({Path.GetFileName(databasePath)}), so it is not a batch job's output; pass Restart to replace it", BatchJobErrorKind.Conflict);
            }

            LogReplaced(_logger, output, "no job database beside it");
            File.Delete(output);
        }

        return database;
    }

    /// <summary>Why the checkpoint at the output is not this job's (model, version, input, format, outputs); null when it is.</summary>
    private static string? Conflict(BatchJobDatabase existing, BatchJobSpec spec, string inputPath, string format)
    {
        var recordedOutputs = existing[BatchJobKeys.Outputs];
        var same = (spec.Id is null || spec.Id == existing[BatchJobKeys.Id])
            && spec.Model == existing[BatchJobKeys.Model]
            && (spec.Version is null || spec.Version == existing[BatchJobKeys.Version])
            && inputPath == existing[BatchJobKeys.InputPath]
            && format == existing[BatchJobKeys.OutputFormat]
            && (spec.Outputs is null || OutputsText(spec.Outputs) == recordedOutputs);
        return same ? null : Holds(existing, "");
    }

    private static string Holds(BatchJobDatabase existing, string detail) =>
        $"{existing.Path} holds job {existing[BatchJobKeys.Id]} for model {existing[BatchJobKeys.Model]} version {existing[BatchJobKeys.Version]} over input {existing[BatchJobKeys.InputPath]}{detail}; pass Restart to start over";

    /// <summary>
    /// Loads the pinned version and opens the input of a job being resumed, and checks what only they can tell: that the
    /// input is the one the job started over, and that a CSV/JSONL output still holds what was committed.
    /// </summary>
    private (ModelSession Session, IBatchInput Input, string? Conflict) OpenForResume(BatchJobDatabase existing, BatchJobSpec spec, string inputPath)
    {
        var model = ResolvePinned(existing, spec);
        var session = LoadSession(model);
        IBatchInput input;
        try
        {
            input = OpenInput(spec, inputPath, session, model);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        string? conflict = null;
        if (input.Fingerprint != existing[BatchJobKeys.InputFingerprint] || input.Format != existing[BatchJobKeys.InputFormat])
        {
            conflict = Holds(existing, ", which has changed since the job started");
        }
        else if (existing[BatchJobKeys.OutputFormat] != BatchOutput.Sqlite)
        {
            var output = existing[BatchJobKeys.Output]!;
            var committed = existing.Number(BatchJobKeys.OutputBytes);
            var length = File.Exists(output) ? new FileInfo(output).Length : 0;
            if (length < committed)
            {
                conflict = Holds(existing, $", but {output} is shorter ({length} bytes) than the {committed} bytes the job committed: it was changed outside the job");
            }
        }

        return (session, input, conflict);
    }

    /// <summary>The version a resumed job started with; refused when it is gone from the store.</summary>
    private BatchModel ResolvePinned(BatchJobDatabase existing, BatchJobSpec spec)
    {
        var version = existing[BatchJobKeys.Version]!;
        try
        {
            return BatchModel.Resolve(_runtime.ModelRepositoryPath, spec.Model, version);
        }
        catch (BatchJobException ex)
        {
            throw new BatchJobException($"job {existing[BatchJobKeys.Id]} started on model {spec.Model} version {version}, which it must finish on: {ex.Message}", ex, ex.Kind);
        }
    }

    private ModelSession LoadSession(BatchModel model)
    {
        var factory = new ModelSessionFactory(_profile with { IntraOpThreads = 1, InterOpThreads = 1 }, _runtime.CachePath, _loggerFactory.CreateLogger<ModelSessionFactory>());
        try
        {
            var session = factory.Create(model.Name, model.Version, model.ModelPath);
            session.Config = model.Config;
            session.Manifest = model.Manifest;
            return session;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new BatchJobException($"model {model.Name} version {model.Version} cannot be loaded: {ex.Message}", ex);
        }
    }

    private IBatchInput OpenInput(BatchJobSpec spec, string inputPath, ModelSession session, BatchModel model)
    {
        try
        {
            return _openInput(spec.Input with { Path = inputPath }, session.Inputs, model.Manifest);
        }
        catch (BatchInputException ex)
        {
            throw new BatchJobException(ex.Message, ex);
        }
    }

    private static List<TensorMetadata> KeptOutputs(ModelSession session, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return [.. session.Outputs];
        }

        var kept = new List<TensorMetadata>();
        foreach (var name in names)
        {
            var output = session.Outputs.FirstOrDefault(o => o.Name == name)
                ?? throw new BatchJobException($"model {session.Name} has no output '{name}'; it has {string.Join(", ", session.OutputNames)}");
            if (!kept.Contains(output))
            {
                kept.Add(output);
            }
        }

        return kept.Count > 0 ? kept : throw new BatchJobException("the job keeps no output; name at least one, or none for all");
    }

    private static IReadOnlyList<string>? RecordedOutputs(BatchJobDatabase? existing) =>
        existing?[BatchJobKeys.Outputs] is { } text ? JsonSerializer.Deserialize(text, BatchJsonContext.Default.StringArray) : null;

    private static int? RecordedBatchSize(BatchJobDatabase? existing) =>
        existing?[BatchJobKeys.BatchSize] is not null && existing.Number(BatchJobKeys.BatchSize) is > 0 and <= int.MaxValue and var size ? (int)size : null;

    private static string? OutputsText(IReadOnlyList<string>? outputs) =>
        outputs is null ? null : JsonSerializer.Serialize([.. outputs], BatchJsonContext.Default.StringArray);

    private BatchJobDatabase CreateCheckpoint(
        BatchJobSpec spec, string databasePath, string format, BatchModel model, IBatchInput input, List<TensorMetadata> outputs, int batchSize, string output, string inputPath)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [BatchJobKeys.Id] = spec.Id ?? DefaultJobId(output),
            [BatchJobKeys.Model] = model.Name,
            [BatchJobKeys.Version] = model.Version,
            [BatchJobKeys.InputPath] = inputPath,
            [BatchJobKeys.InputFormat] = input.Format,
            [BatchJobKeys.InputFingerprint] = input.Fingerprint,
            [BatchJobKeys.Output] = output,
            [BatchJobKeys.OutputFormat] = format,
            [BatchJobKeys.Outputs] = spec.Outputs is null ? null : OutputsText([.. outputs.Select(o => o.Name)]),
            [BatchJobKeys.BatchSize] = BatchJobKeys.Text(batchSize),
            [BatchJobKeys.Trigger] = spec.Trigger,
            [BatchJobKeys.CreatedMs] = BatchJobKeys.Text(_time.GetUtcNow().ToUnixTimeMilliseconds()),
            [BatchJobKeys.State] = BatchJobStates.Running,
            [BatchJobKeys.NextIndex] = "0",
            [BatchJobKeys.RowsSucceeded] = "0",
            [BatchJobKeys.RowsFailed] = "0",
            [BatchJobKeys.RowsTotal] = input.Count is { } count ? BatchJobKeys.Text(count) : null,
        };
        if (format != BatchOutput.Sqlite)
        {
            values[BatchJobKeys.OutputBytes] = "0";
        }

        // The job database first, the output file after: an output file without a job database beside it is never ours.
        return BatchJobDatabase.Create(databasePath, withResults: format == BatchOutput.Sqlite, values);
    }

    /// <summary>Opens a CSV/JSONL output at its committed length, cutting off what a crashed run appended past it.</summary>
    private FileStream OpenText(BatchJobDatabase database, string output)
    {
        var committed = database.Number(BatchJobKeys.OutputBytes);
        var stream = new FileStream(output, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        try
        {
            if (stream.Length > committed)
            {
                LogTailCut(_logger, database[BatchJobKeys.Id]!, output, stream.Length - committed);
                stream.SetLength(committed);
                stream.Flush(flushToDisk: true);
            }

            stream.Position = committed;
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Deletes a checkpoint and its output: the output first, so that a crash in between never leaves an output without its job database.</summary>
    private static void Discard(BatchJobDatabase existing, string output, string databasePath, string format)
    {
        existing.Dispose();
        if (format != BatchOutput.Sqlite)
        {
            File.Delete(output);
        }

        BatchJobDatabase.Delete(databasePath);
    }

    [LoggerMessage(EventId = 1805, Level = LogLevel.Warning, Message = "Batch job: discarding job {Job}'s checkpoint and output at {Output} to start over (Restart): {Reason}")]
    private static partial void LogRestarted(ILogger logger, string job, string output, string reason);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning, Message = "Batch job: replacing {Path} (Restart): {Reason}")]
    private static partial void LogReplaced(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1807, Level = LogLevel.Information, Message = "Batch job {Job}: cut {Bytes} uncommitted byte(s) off the end of {Output} before resuming")]
    private static partial void LogTailCut(ILogger logger, string job, string output, long bytes);

    [LoggerMessage(EventId = 1835, Level = LogLevel.Information, Message = "Batch job {Job}: {Asked} worker(s) asked for, {Allowed} allowed by the host's core share for batch jobs")]
    private static partial void LogParallelismCapped(ILogger logger, string job, int asked, int allowed);
}
