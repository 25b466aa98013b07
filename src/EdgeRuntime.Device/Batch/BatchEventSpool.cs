using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Batch;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// The <c>batch_job_finished</c> events of jobs that ran outside the host (the CLI, another process), waiting in
/// <c>&lt;data&gt;/batch-state/events/</c> (outside every folder jobs may write) for the host to take them. Such a process must not open <c>state.db</c>: the
/// telemetry store keeps its sequence numbers in memory, so a second writer would reuse them. Each event is one
/// JSON file (its final <see cref="BatchJobStatus"/>), written by temp file, fsync and rename; the host imports the
/// files into its telemetry recorder at start and every few seconds and deletes each only once the store has it.
/// </summary>
internal static partial class BatchEventSpool
{
    private const string Extension = ".json";

    /// <summary>The spool folder under the data directory.</summary>
    public static string PathUnder(string dataPath) => Path.Combine(BatchPaths.StateDirectoryUnder(dataPath), "events");

    /// <summary>Writes <paramref name="status"/> as a spooled event; the file is complete or absent.</summary>
    public static string Write(string directory, BatchJobStatus status)
    {
        Directory.CreateDirectory(directory);
        // Named so that the folder lists oldest first, and so that no job id can make a path out of it.
        var safeId = string.Concat(status.Id.Take(100).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        var path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{status.FinishedMs ?? 0:D13}-{safeId}-{Guid.NewGuid():N}{Extension}"));
        DurableFile.Write(path, status, ContractsJsonContext.Default.BatchJobStatus);
        return path;
    }

    /// <summary>
    /// Hands every spooled event to <paramref name="recorder"/>, oldest first, and deletes the files once the store has
    /// committed them. A file that is not an event is renamed to <c>.bad</c> and left. Returns the events imported.
    /// A crash between the commit and the delete imports an event twice; none is ever lost.
    /// </summary>
    public static async Task<int> ImportAsync(string directory, TelemetryRecorder recorder, ILogger logger, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var taken = new List<string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension).Order(StringComparer.Ordinal))
        {
            BatchJobStatus? status;
            try
            {
                status = DurableFile.Read(path, ContractsJsonContext.Default.BatchJobStatus);
            }
            catch (IOException)
            {
                continue;
            }

            if (status is null)
            {
                LogBadFile(logger, path);
                File.Move(path, Path.ChangeExtension(path, ".bad"), overwrite: true);
                continue;
            }

            if (!recorder.Record(TelemetryKind.Event, TelemetryRecordTypes.BatchJobFinished, status.Model, status.Version, JsonSerializer.Serialize(status, ContractsJsonContext.Default.BatchJobStatus)))
            {
                // The recorder's channel is full: the rest waits for the next import.
                break;
            }

            taken.Add(path);
        }

        if (taken.Count == 0)
        {
            return 0;
        }

        await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
        foreach (var path in taken)
        {
            File.Delete(path);
        }

        LogImported(logger, taken.Count, directory);
        return taken.Count;
    }

    [LoggerMessage(EventId = 1830, Level = LogLevel.Information, Message = "Imported {Count} batch job event(s) spooled in {Directory} into the telemetry store")]
    private static partial void LogImported(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 1831, Level = LogLevel.Warning, Message = "Spooled batch job event {Path} is not readable JSON; renamed to .bad and skipped")]
    private static partial void LogBadFile(ILogger logger, string path);
}
