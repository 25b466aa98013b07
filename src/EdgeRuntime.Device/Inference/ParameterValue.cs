using System.Globalization;

namespace EdgeRuntime.Device.Inference;

/// <summary>A protocol parameter value: a string, a number or a boolean.</summary>
public readonly record struct ParameterValue
{
    private ParameterValue(ParameterKind kind, string? text, double number, bool flag, long integer)
    {
        Kind = kind;
        String = text;
        Number = number;
        Boolean = flag;
        Integer = integer;
    }

    public ParameterKind Kind { get; }

    public string? String { get; }

    /// <summary>The value of a number parameter (also set for integers).</summary>
    public double Number { get; }

    /// <summary>The value of an integral number parameter.</summary>
    public long Integer { get; }

    public bool Boolean { get; }

    public static ParameterValue FromString(string value) => new(ParameterKind.String, value, 0, false, 0);

    public static ParameterValue FromBoolean(bool value) => new(ParameterKind.Boolean, null, 0, value, 0);

    public static ParameterValue FromInteger(long value) => new(ParameterKind.Integer, null, value, false, value);

    public static ParameterValue FromNumber(double value) => new(ParameterKind.Number, null, value, false, (long)value);

    public override string ToString() => Kind switch
    {
        ParameterKind.String => String!,
        ParameterKind.Boolean => Boolean ? "true" : "false",
        ParameterKind.Integer => Integer.ToString(CultureInfo.InvariantCulture),
        _ => Number.ToString("R", CultureInfo.InvariantCulture),
    };
}

/// <summary>What a <see cref="ParameterValue"/> holds.</summary>
public enum ParameterKind
{
    String,
    Boolean,
    Integer,
    Number,
}
