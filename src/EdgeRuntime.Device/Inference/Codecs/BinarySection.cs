using System.Globalization;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// The bytes after a request's JSON header, handed out to the binary inputs in input order; checks they
/// account for every byte exactly.
/// </summary>
internal sealed class BinarySection
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly bool _hasHeaderLength;
    private long _taken;

    public BinarySection(ReadOnlyMemory<byte> body, int headerLength, bool hasHeaderLength)
    {
        _bytes = body[headerLength..];
        _hasHeaderLength = hasHeaderLength;
    }

    /// <summary>The next <paramref name="size"/> bytes, for the named input.</summary>
    public ReadOnlyMemory<byte> Take(string inputName, long size)
    {
        if (!_hasHeaderLength)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': has a binary_data_size parameter but the request has no Inference-Header-Content-Length header");
        }

        if (size > _bytes.Length - _taken)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': binary_data_size {size} runs past the end of the body: {_bytes.Length} bytes follow the JSON header and inputs before it take {_taken}");
        }

        var slice = _bytes.Slice((int)_taken, (int)size);
        _taken += size;
        return slice;
    }

    /// <summary>Fails unless the binary inputs took every byte after the header.</summary>
    public void CheckFullyUsed()
    {
        if (_taken != _bytes.Length)
        {
            throw InferenceException.BadRequest(_taken == 0
                ? $"{_bytes.Length} bytes follow the JSON header but no input has a binary_data_size parameter"
                : $"the binary_data_size parameters add up to {_taken.ToString(CultureInfo.InvariantCulture)} bytes but {_bytes.Length} bytes follow the JSON header");
        }
    }
}
