using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;
using EdgeRuntime.Device.Serving;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// Opt-in sampled predictions: for the models named in <see cref="TelemetryOptions.SamplePredictions"/>,
/// records that share of answered requests, inputs and outputs as OIP JSON tensors, as <c>prediction</c>
/// records (the lowest priority: evicted first when the store is full). Requests of other models pay one
/// dictionary look-up.
/// </summary>
public sealed class PredictionSampler : IPredictionObserver
{
    // A JSON number is rarely longer than this; used to skip oversized samples before encoding them.
    private const int BytesPerElementEstimate = 12;

    private readonly TelemetryRecorder _recorder;
    private readonly Dictionary<string, double> _rates;
    private readonly int _maxBytes;

    public PredictionSampler(TelemetryRecorder recorder, IOptions<TelemetryOptions> options)
    {
        _recorder = recorder;
        _rates = new Dictionary<string, double>(options.Value.SamplePredictions, StringComparer.Ordinal);
        _maxBytes = options.Value.MaxSampleBytes;
    }

    public void Observe(ModelSession session, InferenceRequest request, InferenceResponse response)
    {
        if (_rates.Count == 0 || !_rates.TryGetValue(session.Name, out var rate) || Random.Shared.NextDouble() >= rate)
        {
            return;
        }

        var elements = request.Inputs.Sum(i => i.ElementCount) + response.Outputs.Sum(o => o.ElementCount);
        if (elements * BytesPerElementEstimate > _maxBytes)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", session.Name);
            json.WriteString("version", session.Version);
            if (request.Id is { } id)
            {
                json.WriteString("id", id);
            }

            WriteTensors(json, "inputs", request.Inputs);
            WriteTensors(json, "outputs", response.Outputs);
            json.WriteEndObject();
        }

        if (buffer.WrittenCount <= _maxBytes)
        {
            _recorder.Record(TelemetryKind.Sample, TelemetryRecordTypes.Prediction, session.Name, session.Version, Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    private static void WriteTensors(Utf8JsonWriter json, string name, IReadOnlyList<InferenceTensor> tensors)
    {
        json.WriteStartArray(name);
        foreach (var tensor in tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", tensor.Name);
            json.WriteString("datatype", tensor.DataType.ToWireName());
            json.WriteStartArray("shape");
            foreach (var dimension in tensor.Shape)
            {
                json.WriteNumberValue(dimension);
            }

            json.WriteEndArray();
            json.WritePropertyName("data");
            JsonTensorDataWriter.Write(json, tensor);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
