using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Ingest;

/// <summary>
/// Reads a <see cref="TelemetryBatch"/> (gzip-compressed or not) with <see cref="Utf8JsonReader"/>, keeping each
/// record's payload as a slice of the buffer instead of a parsed document.
/// </summary>
internal static class TelemetryBatchParser
{
    /// <summary>Largest decompressed batch accepted, so a small gzip bomb cannot exhaust memory.</summary>
    public const int MaxDecompressedBytes = 256 * 1024 * 1024;

    public static ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> payload) =>
        payload.IsSingleSegment ? payload.First : payload.ToArray();

    public static byte[] Gunzip(ReadOnlyMemory<byte> compressed)
    {
        using var input = new MemoryStream(compressed.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream(compressed.Length * 4);
        var buffer = new byte[81920];
        int read;
        while ((read = gzip.Read(buffer)) > 0)
        {
            if (output.Length + read > MaxDecompressedBytes)
            {
                throw new InvalidDataException($"batch larger than {MaxDecompressedBytes} bytes decompressed");
            }

            output.Write(buffer, 0, read);
        }

        return output.ToArray();
    }

    /// <summary>Parses the batch; throws <see cref="JsonException"/> or <see cref="InvalidDataException"/> for a malformed one.</summary>
    public static IngestBatch Parse(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        Expect(ref reader, JsonTokenType.StartObject);
        string? deviceId = null;
        var schema = SyncProtocol.SchemaVersion;
        List<IngestRecord>? records = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("device_id"u8))
            {
                Next(ref reader);
                deviceId = reader.GetString();
            }
            else if (reader.ValueTextEquals("schema_version"u8))
            {
                Next(ref reader);
                schema = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("records"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                records = [];
                while (Next(ref reader) == JsonTokenType.StartObject)
                {
                    records.Add(ReadRecord(ref reader));
                }
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        if (schema > SyncProtocol.SchemaVersion)
        {
            throw new InvalidDataException($"schema_version {schema} is newer than this hub's {SyncProtocol.SchemaVersion}");
        }

        if (deviceId is null || records is null)
        {
            throw new InvalidDataException("a batch needs device_id and records");
        }

        return new IngestBatch(deviceId, json, records);
    }

    private static IngestRecord ReadRecord(ref Utf8JsonReader reader)
    {
        long? sequence = null;
        long timestamp = 0;
        string? kind = null, type = null, model = null, version = null;
        int payloadStart = -1, payloadLength = 0;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("sequence"u8))
            {
                Next(ref reader);
                sequence = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                Next(ref reader);
                kind = reader.GetString();
            }
            else if (reader.ValueTextEquals("timestamp_ms"u8))
            {
                Next(ref reader);
                timestamp = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                Next(ref reader);
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                Next(ref reader);
                model = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                Next(ref reader);
                version = reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                Next(ref reader);
                payloadStart = (int)reader.TokenStartIndex;
                reader.Skip();
                payloadLength = (int)reader.BytesConsumed - payloadStart;
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        if (sequence is not { } seq || kind is null || type is null || payloadStart < 0)
        {
            throw new InvalidDataException("a record needs sequence, kind, type and payload");
        }

        return new IngestRecord(seq, kind, timestamp, type, model, version, payloadStart, payloadLength);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new InvalidDataException("batch JSON ends early");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new InvalidDataException($"expected {type} at byte {reader.TokenStartIndex}, found {reader.TokenType}");
        }
    }
}
