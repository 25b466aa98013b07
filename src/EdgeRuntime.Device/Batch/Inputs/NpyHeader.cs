using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeRuntime.Device.Inference;
using Microsoft.Win32.SafeHandles;

namespace EdgeRuntime.Device.Batch.Inputs;

/// <summary>
/// The header of a NumPy <c>.npy</c> file (format versions 1, 2 and 3): the element type, the shape and where the data
/// starts. Little-endian (or single-byte) bool, integer and float elements in C order are supported, which is what
/// <c>numpy.save</c> writes on every common machine. Problems are <see cref="InvalidDataException"/>s naming the file.
/// </summary>
internal sealed partial record NpyHeader(TensorDataType DataType, long[] Shape, long DataStart)
{
    /// <summary>The most a header may take; numpy pads it to 64 bytes, so this is generous.</summary>
    private const int MaxHeaderBytes = 1 << 20;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The bytes of the data that follows the header.</summary>
    public long DataBytes => InferenceTensor.ElementCountOf(Shape) * DataType.ElementSize();

    /// <summary>Reads the header of an open file (reading only the header), and checks the file holds all of the data.</summary>
    public static NpyHeader Read(SafeFileHandle file, string name)
    {
        var length = RandomAccess.GetLength(file);
        var prefix = new byte[(int)Math.Min(length, 12)];
        RandomAccess.Read(file, prefix, 0);
        var headerEnd = HeaderStart(prefix, name) + HeaderLength(prefix, name);
        var bytes = new byte[(int)Math.Min(length, Math.Min(headerEnd, MaxHeaderBytes))];
        RandomAccess.Read(file, bytes, 0);
        return Parse(bytes, length, name);
    }

    /// <summary>
    /// Parses the header at the start of <paramref name="bytes"/>, a file of <paramref name="fileLength"/> bytes, and checks
    /// that the file holds exactly the data the header describes.
    /// </summary>
    public static NpyHeader Parse(ReadOnlySpan<byte> bytes, long fileLength, string name)
    {
        var headerStart = HeaderStart(bytes, name);
        var headerLength = HeaderLength(bytes, name);
        if ((long)headerStart + headerLength > fileLength)
        {
            throw new InvalidDataException($"{name}: the header claims {headerLength} bytes but the file ends first");
        }

        if (headerStart + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"{name}: the header of {headerLength} bytes is larger than the {MaxHeaderBytes}-byte limit");
        }

        var header = (bytes[6] == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes.Slice(headerStart, headerLength));
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw new InvalidDataException($"{name}: header {header.Trim()} lacks 'descr', 'fortran_order' or 'shape'");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw new InvalidDataException($"{name}: Fortran-order arrays are not supported; save with numpy.ascontiguousarray first");
        }

        var type = DataTypeOf(descr.Groups[1].Value, name);
        var shape = ParseShape(shapeMatch.Groups[1].Value, name);
        var dataStart = headerStart + headerLength;
        var expected = (Int128)InferenceTensor.ElementCountOf(shape) * type.ElementSize();
        if (expected != fileLength - dataStart)
        {
            throw new InvalidDataException($"{name}: shape {InferenceTensor.FormatShape(shape)} of '{descr.Groups[1].Value}' needs {expected} bytes of data but the file has {fileLength - dataStart}");
        }

        return new NpyHeader(type, shape, dataStart);
    }

    private static int HeaderStart(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{name}: not a .npy file (it does not start with \\x93NUMPY)");
        }

        return bytes[6] switch
        {
            1 => 10,
            2 or 3 when bytes.Length >= 12 => 12,
            _ => throw new InvalidDataException($"{name}: .npy format version {bytes[6]}.{bytes[7]} is not supported (1, 2 and 3 are)"),
        };
    }

    private static int HeaderLength(ReadOnlySpan<byte> bytes, string name) => HeaderStart(bytes, name) == 10
        ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..])
        : (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]), int.MaxValue - 12);

    private static TensorDataType DataTypeOf(string descr, string name)
    {
        if (descr.Length < 3 || descr[0] is not ('<' or '|' or '=' or '>'))
        {
            throw new InvalidDataException($"{name}: dtype '{descr}' is not a plain numeric type");
        }

        TensorDataType? type = descr[1..] switch
        {
            "b1" => TensorDataType.Bool,
            "u1" => TensorDataType.UInt8,
            "u2" => TensorDataType.UInt16,
            "u4" => TensorDataType.UInt32,
            "u8" => TensorDataType.UInt64,
            "i1" => TensorDataType.Int8,
            "i2" => TensorDataType.Int16,
            "i4" => TensorDataType.Int32,
            "i8" => TensorDataType.Int64,
            "f2" => TensorDataType.Fp16,
            "f4" => TensorDataType.Fp32,
            "f8" => TensorDataType.Fp64,
            _ => null,
        };
        if (type is null)
        {
            throw new InvalidDataException($"{name}: dtype '{descr}' is not supported (bool, int8-64, uint8-64, float16/32/64)");
        }

        if (descr[0] == '>' && type.Value.ElementSize() > 1)
        {
            throw new InvalidDataException($"{name}: dtype '{descr}' is big-endian; save it little-endian (array.astype('<{descr[1..]}'))");
        }

        return type.Value;
    }

    private static long[] ParseShape(string text, string name)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new InvalidDataException($"{name}: shape ({text}) is not a tuple of sizes");
            }
        }

        return shape;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
