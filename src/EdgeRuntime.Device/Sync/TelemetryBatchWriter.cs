using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Sync;

/// <summary>
/// Writes store records as a <see cref="TelemetryBatch"/> without re-parsing their payloads: the stored payload is
/// already JSON, so it goes in raw. The document is the one <see cref="SyncJsonContext"/> writes for the same batch
/// (snake_case keys, nulls left out); gzip-compressed past a threshold.
/// </summary>
internal static class TelemetryBatchWriter
{
    private static readonly JsonEncodedText SchemaVersion = JsonEncodedText.Encode("schema_version");
    private static readonly JsonEncodedText DeviceIdKey = JsonEncodedText.Encode("device_id");
    private static readonly JsonEncodedText FromSeq = JsonEncodedText.Encode("from_seq");
    private static readonly JsonEncodedText ToSeq = JsonEncodedText.Encode("to_seq");
    private static readonly JsonEncodedText RecordsKey = JsonEncodedText.Encode("records");
    private static readonly JsonEncodedText Sequence = JsonEncodedText.Encode("sequence");
    private static readonly JsonEncodedText KindKey = JsonEncodedText.Encode("kind");
    private static readonly JsonEncodedText TimestampMs = JsonEncodedText.Encode("timestamp_ms");
    private static readonly JsonEncodedText TypeKey = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText ModelKey = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText VersionKey = JsonEncodedText.Encode("version");
    private static readonly JsonEncodedText PayloadKey = JsonEncodedText.Encode("payload");
    private static readonly JsonEncodedText[] KindNames =
        [default, JsonEncodedText.Encode("event"), JsonEncodedText.Encode("drift"), JsonEncodedText.Encode("metrics"), JsonEncodedText.Encode("sample")];

    /// <summary>The channel a record of <paramref name="kind"/> travels on: events and drift on <c>events</c>, the rest on <c>telemetry</c>.</summary>
    public static SyncChannel ChannelOf(TelemetryKind kind) => kind is TelemetryKind.Event or TelemetryKind.Drift ? SyncChannel.Events : SyncChannel.Telemetry;

    /// <summary>The lower-case wire name of a kind (<c>event</c>, <c>drift</c>, <c>metrics</c>, <c>sample</c>).</summary>
    public static string KindName(TelemetryKind kind) => KindNames[(int)kind].Value;

    /// <summary>
    /// The batch of those <paramref name="records"/> that travel on <paramref name="channel"/>, for the store range
    /// <paramref name="fromSeq"/>..<paramref name="toSeq"/>; null when none does.
    /// </summary>
    public static byte[]? Write(string deviceId, long fromSeq, long toSeq, IReadOnlyList<TelemetryRecord> records, SyncChannel channel, out int count)
    {
        count = 0;
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber(SchemaVersion, SyncProtocol.SchemaVersion);
            writer.WriteString(DeviceIdKey, deviceId);
            writer.WriteNumber(FromSeq, fromSeq);
            writer.WriteNumber(ToSeq, toSeq);
            writer.WriteStartArray(RecordsKey);
            foreach (var record in records)
            {
                if (ChannelOf(record.Kind) != channel)
                {
                    continue;
                }

                count++;
                writer.WriteStartObject();
                writer.WriteNumber(Sequence, record.Sequence);
                writer.WriteString(KindKey, KindNames[(int)record.Kind]);
                writer.WriteNumber(TimestampMs, record.TimestampMs);
                writer.WriteString(TypeKey, record.Type);
                if (record.Model is not null)
                {
                    writer.WriteString(ModelKey, record.Model);
                }

                if (record.Version is not null)
                {
                    writer.WriteString(VersionKey, record.Version);
                }

                writer.WritePropertyName(PayloadKey);
                writer.WriteRawValue(record.Payload, skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return count == 0 ? null : buffer.WrittenSpan.ToArray();
    }

    /// <summary>Gzip of <paramref name="json"/>.</summary>
    public static byte[] Gzip(byte[] json)
    {
        using var output = new MemoryStream(json.Length / 4);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return output.ToArray();
    }
}
