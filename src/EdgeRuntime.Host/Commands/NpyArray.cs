using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Commands;

/// <summary>
/// A NumPy <c>.npy</c> array (format versions 1, 2 and 3): little-endian (or single-byte) bool, integer and
/// float elements in C order, which is what <c>numpy.save</c> writes on every common machine.
/// </summary>
internal sealed partial record NpyArray(TensorDataType DataType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a whole file; <see cref="CommandException"/> says what is wrong with a malformed one.</summary>
    public static NpyArray Read(string path) => Parse(File.ReadAllBytes(path), Path.GetFileName(path));

    public static NpyArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new CommandException($"{name}: not a .npy file (it does not start with \\x93NUMPY)");
        }

        int major = bytes[6], headerStart, headerLength;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
                headerStart = 10;
                break;
            case 2 or 3 when bytes.Length >= 12:
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
                headerStart = 12;
                break;
            default:
                throw new CommandException($"{name}: .npy format version {major}.{bytes[7]} is not supported (1, 2 and 3 are)");
        }

        if (headerStart + headerLength > bytes.Length)
        {
            throw new CommandException($"{name}: the header claims {headerLength} bytes but the file ends first");
        }

        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw new CommandException($"{name}: header {header.Trim()} lacks 'descr', 'fortran_order' or 'shape'");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw new CommandException($"{name}: Fortran-order arrays are not supported; save with numpy.ascontiguousarray first");
        }

        var type = DataTypeOf(descr.Groups[1].Value, name);
        var shape = ParseShape(shapeMatch.Groups[1].Value, name);
        var dataStart = headerStart + headerLength;
        var expected = (Int128)InferenceTensor.ElementCountOf(shape) * type.ElementSize();
        if (expected != bytes.Length - dataStart)
        {
            throw new CommandException($"{name}: shape {InferenceTensor.FormatShape(shape)} of '{descr.Groups[1].Value}' needs {expected} bytes of data but the file has {bytes.Length - dataStart}");
        }

        return new NpyArray(type, shape, bytes.AsMemory(dataStart));
    }

    private static TensorDataType DataTypeOf(string descr, string name)
    {
        if (descr.Length < 3 || descr[0] is not ('<' or '|' or '=' or '>'))
        {
            throw new CommandException($"{name}: dtype '{descr}' is not a plain numeric type");
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
            throw new CommandException($"{name}: dtype '{descr}' is not supported (bool, int8-64, uint8-64, float16/32/64)");
        }

        if (descr[0] == '>' && type.Value.ElementSize() > 1)
        {
            throw new CommandException($"{name}: dtype '{descr}' is big-endian; save it little-endian (array.astype('<{descr[1..]}'))");
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
                throw new CommandException($"{name}: shape ({text}) is not a tuple of sizes");
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
