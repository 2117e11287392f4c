using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Conversions between float32 and the two 16-bit formats, kept as raw <see cref="ushort"/> bits:
/// bfloat16 is the top half of a float32 (narrowed with round-to-nearest-even, NaN kept NaN),
/// float16 is IEEE binary16 (<see cref="Half"/>). Widening is exact in both.
/// The vector widenings are the ones the matrix-vector kernels use on each loaded block.
/// </summary>
public static class HalfBits
{
    /// <summary>bfloat16 bits to float (exact).</summary>
    public static float Bf16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float to bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN.</summary>
    public static ushort SingleToBf16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    /// <summary>float16 bits to float (exact).</summary>
    public static float F16ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>float to float16 bits, round to nearest even (overflow gives ±infinity).</summary>
    public static ushort SingleToF16(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Narrows <paramref name="source"/> into 16-bit <paramref name="format"/> bits.</summary>
    public static void Narrow(ReadOnlySpan<float> source, Span<ushort> destination, WeightFormat format)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is too short", nameof(destination));
        switch (format)
        {
            case WeightFormat.F16:
                TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<ushort, Half>(destination));
                break;
            case WeightFormat.Bf16:
                for (int i = 0; i < source.Length; i++) destination[i] = SingleToBf16(source[i]);
                break;
            default:
                throw new ArgumentException($"{format} is not a 16-bit format", nameof(format));
        }
    }

    /// <summary>Widens 16-bit <paramref name="format"/> bits into floats.</summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination, WeightFormat format)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is too short", nameof(destination));
        int i = 0;
        ref ushort s = ref MemoryMarshal.GetReference(source);
        ref float d = ref MemoryMarshal.GetReference(destination);
        if (MatVecPaths.Best == MatVecPath.Vector512)
        {
            for (; i <= source.Length - 16; i += 16)
            {
                var v = format == WeightFormat.Bf16 ? WidenBf16x16(ref Unsafe.Add(ref s, i)) : WidenF16x16(ref Unsafe.Add(ref s, i));
                v.StoreUnsafe(ref d, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - 8; i += 8)
            {
                var v = format == WeightFormat.Bf16 ? WidenBf16(ref Unsafe.Add(ref s, i)) : WidenF16(ref Unsafe.Add(ref s, i));
                v.StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
            Unsafe.Add(ref d, i) = format == WeightFormat.Bf16 ? Bf16ToSingle(Unsafe.Add(ref s, i)) : F16ToSingle(Unsafe.Add(ref s, i));
    }

    /// <summary>Eight 16-bit values zero-extended to 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Load8(ref ushort p)
    {
        var v = Vector128.LoadUnsafe(ref p);
        if (Avx2.IsSupported) return Avx2.ConvertToVector256Int32(v).AsUInt32();
        return Vector256.Create(Vector128.WidenLower(v), Vector128.WidenUpper(v));
    }

    /// <summary>Eight bfloat16 values at <paramref name="p"/> as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> WidenBf16(ref ushort p) => Vector256.ShiftLeft(Load8(ref p), 16).AsSingle();

    /// <summary>
    /// Eight float16 values at <paramref name="p"/> as floats, by bit arithmetic (the runtime
    /// exposes no vcvtph2ps): the magnitude bits moved to float32 positions and scaled by 2^112
    /// give normals and subnormals exactly; exponent 31 (infinity, NaN) gets the float32 exponent 255.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> WidenF16(ref ushort p)
    {
        var u = Load8(ref p);
        var mag = u & Vector256.Create(0x7FFFu);
        var shifted = Vector256.ShiftLeft(mag, 13);
        var scaled = (shifted.AsSingle() * Vector256.Create(0x77800000u).AsSingle() /* 2^112 */).AsUInt32();
        var special = Vector256.GreaterThanOrEqual(mag, Vector256.Create(0x7C00u));
        var bits = Vector256.ConditionalSelect(special, shifted | Vector256.Create(0x7F800000u), scaled);
        return (bits | Vector256.ShiftLeft(u & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary>Sixteen bfloat16 values at <paramref name="p"/> as floats (AVX-512F: zero-extend, shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> WidenBf16x16(ref ushort p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref p)), 16).AsSingle();

    /// <summary>
    /// Sixteen float16 values at <paramref name="p"/> as floats (AVX-512F), exact: each value is
    /// sign-extended to 32 bits and shifted left 13, which puts the sign at bit 31 (with copies in
    /// bits 30..28, masked off) and exponent and mantissa at their float32 places; scaling by 2^112
    /// then rebiases normals and subnormals exactly, and exponent 31 (infinity, NaN) gets 255.
    /// Four operations where the 256-bit <see cref="WidenF16"/> needs eight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> WidenF16x16(ref ushort p)
    {
        var v = Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref p).AsInt16()), 13);
        var scaled = (Avx512F.And(v, Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle() * Vector512.Create(0x77800000u).AsSingle() /* 2^112 */).AsInt32();
        var special = Vector512.Equals(Avx512F.And(v, Vector512.Create(0x0F800000)), Vector512.Create(0x0F800000));
        return Vector512.ConditionalSelect(special, v | Vector512.Create(0x7F800000), scaled).AsSingle();
    }
}
