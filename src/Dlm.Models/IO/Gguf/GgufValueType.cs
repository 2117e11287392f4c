namespace Dlm.Models.IO.Gguf;

// The members are named as gguf.h names the types.
#pragma warning disable CA1720

/// <summary>The value types of GGUF metadata, with the numbers <c>gguf.h</c> gives them.</summary>
public enum GgufValueType : uint
{
    /// <summary>8-bit unsigned integer.</summary>
    UInt8 = 0,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 1,
    /// <summary>16-bit unsigned integer.</summary>
    UInt16 = 2,
    /// <summary>16-bit signed integer.</summary>
    Int16 = 3,
    /// <summary>32-bit unsigned integer.</summary>
    UInt32 = 4,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 5,
    /// <summary>32-bit float.</summary>
    Float32 = 6,
    /// <summary>Boolean, one byte (0 or 1).</summary>
    Bool = 7,
    /// <summary>UTF-8 string: uint64 length, then the bytes (no terminator).</summary>
    String = 8,
    /// <summary>Array: element type (uint32), count (uint64), then the elements.</summary>
    Array = 9,
    /// <summary>64-bit unsigned integer.</summary>
    UInt64 = 10,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 11,
    /// <summary>64-bit float.</summary>
    Float64 = 12,
}
#pragma warning restore CA1720
