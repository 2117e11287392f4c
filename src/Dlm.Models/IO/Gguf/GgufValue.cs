using System.Globalization;

namespace Dlm.Models.IO.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar of <see cref="Type"/>, a string, or an array whose elements
/// are all of <see cref="ElementType"/>. Scalars hold the CLR type of their GGUF type (byte,
/// sbyte, ushort, short, uint, int, float, bool, string, ulong, long, double); arrays hold a CLR
/// array of that element type (<c>string[]</c>, <c>int[]</c>, ...).
/// </summary>
public sealed record GgufValue
{
    /// <summary>The GGUF type.</summary>
    public GgufValueType Type { get; }

    /// <summary>Element type of an array (meaningless for scalars).</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The value.</summary>
    public object Value { get; }

    private GgufValue(GgufValueType type, object value, GgufValueType elementType = GgufValueType.UInt8)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    /// <summary>Builds a value, checking that the CLR type fits the GGUF type.</summary>
    public static GgufValue Of(GgufValueType type, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (type == GgufValueType.Array) throw new ArgumentException("use GgufValue.Array for arrays", nameof(type));
        if (value.GetType() != ClrType(type)) throw new ArgumentException($"a {type} value must be a {ClrType(type).Name}, not {value.GetType().Name}", nameof(value));
        return new GgufValue(type, value);
    }

    /// <summary>An array of <paramref name="elementType"/> values (a CLR array of its type).</summary>
    public static GgufValue Array(GgufValueType elementType, System.Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (elementType == GgufValueType.Array) throw new ArgumentException("nested arrays are not supported", nameof(elementType));
        if (values.GetType().GetElementType() != ClrType(elementType))
            throw new ArgumentException($"a {elementType} array must hold {ClrType(elementType).Name}", nameof(values));
        return new GgufValue(GgufValueType.Array, values, elementType);
    }

    /// <summary>A uint32.</summary>
    public static GgufValue U32(uint v) => new(GgufValueType.UInt32, v);
    /// <summary>An int32.</summary>
    public static GgufValue I32(int v) => new(GgufValueType.Int32, v);
    /// <summary>A uint64.</summary>
    public static GgufValue U64(ulong v) => new(GgufValueType.UInt64, v);
    /// <summary>A float32.</summary>
    public static GgufValue F32(float v) => new(GgufValueType.Float32, v);
    /// <summary>A float64.</summary>
    public static GgufValue F64(double v) => new(GgufValueType.Float64, v);
    /// <summary>A bool.</summary>
    public static GgufValue Bool(bool v) => new(GgufValueType.Bool, v);
    /// <summary>A string.</summary>
    public static GgufValue Str(string v) => new(GgufValueType.String, v);
    /// <summary>An array of strings.</summary>
    public static GgufValue Strings(string[] v) => Array(GgufValueType.String, v);
    /// <summary>An array of int32.</summary>
    public static GgufValue Ints(int[] v) => Array(GgufValueType.Int32, v);
    /// <summary>An array of float32.</summary>
    public static GgufValue Floats(float[] v) => Array(GgufValueType.Float32, v);

    /// <summary>The CLR type that holds a GGUF scalar type.</summary>
    public static Type ClrType(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => typeof(byte),
        GgufValueType.Int8 => typeof(sbyte),
        GgufValueType.UInt16 => typeof(ushort),
        GgufValueType.Int16 => typeof(short),
        GgufValueType.UInt32 => typeof(uint),
        GgufValueType.Int32 => typeof(int),
        GgufValueType.Float32 => typeof(float),
        GgufValueType.Bool => typeof(bool),
        GgufValueType.String => typeof(string),
        GgufValueType.UInt64 => typeof(ulong),
        GgufValueType.Int64 => typeof(long),
        GgufValueType.Float64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no CLR type for this GGUF type"),
    };

    /// <summary>The value as a string (throws when it is not one).</summary>
    public string AsString() => Value as string ?? throw new InvalidOperationException($"GGUF value is a {Type}, not a string");

    /// <summary>An integer scalar of any width as a long.</summary>
    public long AsLong() => Type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16 or GgufValueType.Int16 or GgufValueType.UInt32
            or GgufValueType.Int32 or GgufValueType.Int64 => Convert.ToInt64(Value, CultureInfo.InvariantCulture),
        GgufValueType.UInt64 => checked((long)(ulong)Value),
        _ => throw new InvalidOperationException($"GGUF value is a {Type}, not an integer"),
    };

    /// <summary>A float or integer scalar as a double.</summary>
    public double AsDouble() => Type switch
    {
        GgufValueType.Float32 => (float)Value,
        GgufValueType.Float64 => (double)Value,
        GgufValueType.Bool => throw new InvalidOperationException("GGUF value is a Bool, not a number"),
        _ => AsLong(),
    };

    /// <summary>The value as a bool (throws when it is not one).</summary>
    public bool AsBool() => Value is bool b ? b : throw new InvalidOperationException($"GGUF value is a {Type}, not a bool");
}
