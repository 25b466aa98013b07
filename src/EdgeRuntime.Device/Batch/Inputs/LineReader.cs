namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// Reads a text file line by line as UTF-8 bytes, without decoding: skipping to a resumed job's row only has to find
/// line ends, and a JSONL line goes to the request reader as it is. Lines end with <c>\n</c> or <c>\r\n</c>; a UTF-8
/// byte order mark at the start is dropped. A line may be as long as memory allows.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly FileStream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _started;

    private LineReader(FileStream stream)
    {
        _stream = stream;
    }

    /// <summary>Opens <paramref name="path"/>; a file that cannot be opened is a <see cref="BatchInputException"/>.</summary>
    public static LineReader Open(string path)
    {
        try
        {
            return new LineReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BatchInputException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>The 1-based number of the line <see cref="TryRead"/> returned last.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The next line without its line end, valid until the next call; false at the end of the file.</summary>
    public bool TryRead(out ReadOnlyMemory<byte> line)
    {
        var searched = 0;
        while (true)
        {
            var at = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf((byte)'\n');
            if (at >= 0)
            {
                var length = searched + at;
                line = Trim(_buffer.AsMemory(_start, length));
                _start += length + 1;
                LineNumber++;
                return true;
            }

            searched = _end - _start;
            if (_eof)
            {
                if (_end == _start)
                {
                    line = default;
                    return false;
                }

                line = Trim(_buffer.AsMemory(_start, _end - _start));
                _start = _end;
                LineNumber++;
                return true;
            }

            Fill();
        }
    }

    /// <summary>Whether a line holds nothing but spaces and tabs.</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0;

    /// <summary>The lines of <paramref name="path"/> that are not blank.</summary>
    public static long CountNonBlank(string path)
    {
        using var reader = Open(path);
        long count = 0;
        while (reader.TryRead(out var line))
        {
            if (!IsBlank(line.Span))
            {
                count++;
            }
        }

        return count;
    }

    public void Dispose() => _stream.Dispose();

    private static ReadOnlyMemory<byte> Trim(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>Reads more of the file after the unread part, moving it to the front or growing the buffer first.</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, (int)Math.Min(2L * _buffer.Length, Array.MaxLength));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
        if (!_started && _end >= 3)
        {
            _started = true;
            if (_buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            {
                _start = 3;
            }
        }
        else if (_eof)
        {
            _started = true;
        }
    }
}
