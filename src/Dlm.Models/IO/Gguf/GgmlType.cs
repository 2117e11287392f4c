namespace Dlm.Models.IO.Gguf;

/// <summary>The ggml tensor types dlm reads and writes, with ggml's numbers (<c>enum ggml_type</c>).</summary>
public enum GgmlType : uint
{
    /// <summary>32-bit float.</summary>
    F32 = 0,
    /// <summary>IEEE half precision.</summary>
    F16 = 1,
    /// <summary>Blocks of 32 int8 values with one f16 scale (34 bytes a block).</summary>
#pragma warning disable CA1707 // ggml's own name for the type
    Q8_0 = 8,
#pragma warning restore CA1707
    /// <summary>bfloat16 (the top half of a float32).</summary>
    BF16 = 30,
}

/// <summary>Sizes of the ggml types.</summary>
public static class GgmlTypes
{
    /// <summary>Elements per Q8_0 block (<c>QK8_0</c>).</summary>
    public const int Q8BlockSize = 32;

    /// <summary>Bytes of one Q8_0 block: an f16 scale and 32 int8 values.</summary>
    public const int Q8BlockBytes = 2 + Q8BlockSize;

    /// <summary>Whether dlm knows the ggml type with this number.</summary>
    public static bool IsKnown(uint type) => type is (uint)GgmlType.F32 or (uint)GgmlType.F16 or (uint)GgmlType.Q8_0 or (uint)GgmlType.BF16;

    /// <summary>Bytes that <paramref name="elements"/> values take (rows of Q8_0 must be whole blocks).</summary>
    public static long ByteCount(GgmlType type, long elements) => type switch
    {
        GgmlType.F32 => elements * 4,
        GgmlType.F16 or GgmlType.BF16 => elements * 2,
        GgmlType.Q8_0 => elements / Q8BlockSize * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };

    /// <summary>The name llama.cpp prints for a type (<c>f32</c>, <c>f16</c>, <c>bf16</c>, <c>q8_0</c>).</summary>
    public static string Name(GgmlType type) => type switch
    {
        GgmlType.F32 => "f32",
        GgmlType.F16 => "f16",
        GgmlType.BF16 => "bf16",
        GgmlType.Q8_0 => "q8_0",
        _ => type.ToString(),
    };

    /// <summary>Parses <c>f32|f16|bf16|q8_0</c>; null for anything else.</summary>
    public static GgmlType? Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" => GgmlType.F32,
        "f16" => GgmlType.F16,
        "bf16" => GgmlType.BF16,
        "q8_0" => GgmlType.Q8_0,
        _ => null,
    };

    /// <summary>
    /// The <c>general.file_type</c> number (<c>enum llama_ftype</c>) of a file whose big tensors
    /// are of <paramref name="type"/>: ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q8_0 = 7, MOSTLY_BF16 = 32.
    /// </summary>
    public static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q8_0 => 7,
        GgmlType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type"),
    };
}
