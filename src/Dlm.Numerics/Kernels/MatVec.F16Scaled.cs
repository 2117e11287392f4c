using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

// Single-input float16 rows with the widening's scale moved onto the input.
//
// Widening float16 exactly takes a multiply by 2^112 (the exponent bias gap) and a select for
// infinity/NaN on every block of weights, on top of the sign-extend, shift and mask that put the
// bits in place; that is what held an f16 decode step well below the memory's rate while bf16 (a
// shift) was not. Here each block is only sign-extended, shifted and masked: the "raw" float r is
// the weight times 2^-112 exactly (normals and subnormals alike; r is a float32 subnormal for a
// float16 subnormal), and the input is scaled once per call, x' = x·2^112. Then r·x' equals w·x as
// a real number, so FMA(r, x', acc) rounds exactly as FMA(w, x, acc) does: the same sums in the
// same order, bit for bit, as the widening path and MatVec.Ordered. Two things break that and send
// the call back to the widening path (which overwrites every output): an input of magnitude 2^16 or
// more, infinity or NaN (x' would overflow), and a weight with exponent 31 (infinity or NaN, which r
// does not carry). The first is seen before the pass, the second during it (a running max of the
// weights' magnitude bits, two integer ops per 32 weights), so the result is exact for every input.
public static partial class MatVec
{
    /// <summary>2^112 as a float: float32's exponent bias (127) less float16's (15). MatVecBatch scales its packed inputs by it too.</summary>
    internal static readonly float F16Scale = BitConverter.Int32BitsToSingle(0x77800000);

    /// <summary>Widest input the scaled path takes (the scaled copy lives on the stack: 16 KiB).</summary>
    private const int MaxScaledCols = 4096;

    /// <summary>Largest input magnitude the scaled path takes: x·2^112 stays finite below 2^16.</summary>
    private const float MaxScaledInput = 65536f;

    /// <summary>A float16's magnitude bits (sign masked off) are at least this when its exponent is 31.</summary>
    private const ushort SpecialMagnitude = 0x7C00;

    /// <summary>The magnitude bits of a float16.</summary>
    private const ushort MagnitudeMask = 0x7FFF;

    /// <summary>
    /// Whether <paramref name="x"/> stays finite times 2^112 (every magnitude below 2^16; NaN fails), so the
    /// scaled float16 paths may take it. MaxMagnitude returns the signed value (−65536 for an input holding it), hence the Abs.
    /// </summary>
    internal static bool ScalableInput(ReadOnlySpan<float> x) => MathF.Abs(TensorPrimitives.MaxMagnitude(x)) < MaxScaledInput;

    // Rows [rowStart, rowEnd) of y = W·x for one float16 input on a vector path; false (y left to be
    // overwritten) when the input or the weights need the widening path.
    [SkipLocalsInit]
    private static bool F16ScaledRows(MatVecPath path, ref ushort w, int cols, ReadOnlySpan<float> x, ref float y, int rowStart, int rowEnd)
    {
        if (cols == 0 || cols > MaxScaledCols || !ScalableInput(x)) return false;
        Span<float> scaled = stackalloc float[cols];
        TensorPrimitives.Multiply(x, F16Scale, scaled);
        ref float xs = ref MemoryMarshal.GetReference(scaled);
        bool special = false;
        if (path == MatVecPath.Vector512)
        {
            Vector512<ushort> seen = default;
            for (int r = rowStart; r < rowEnd; r++)
                Unsafe.Add(ref y, r) = Dot512Scaled(ref Unsafe.Add(ref w, (nint)r * cols), cols, ref xs, ref seen, ref special);
            special |= Vector512.GreaterThanOrEqualAny(seen, Vector512.Create(SpecialMagnitude));
        }
        else
        {
            Vector256<ushort> seen = default;
            for (int r = rowStart; r < rowEnd; r++)
                Unsafe.Add(ref y, r) = Dot256Scaled(ref Unsafe.Add(ref w, (nint)r * cols), cols, ref xs, ref seen, ref special);
            special |= Vector256.GreaterThanOrEqualAny(seen, Vector256.Create(SpecialMagnitude));
        }
        return !special;
    }

    // Lanes512.Dot's order: two accumulators over alternate blocks of 16, a last block to the first, then the leftovers one by one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot512Scaled(ref ushort w, int n, ref float xs, ref Vector512<ushort> seen, ref bool special)
    {
        Vector512<float> a0 = default, a1 = default;
        int i = 0;
        for (; i <= n - 32; i += 32)
        {
            seen = Vector512.Max(seen, Vector512.LoadUnsafe(ref w, (nuint)i) & Vector512.Create(MagnitudeMask));
            a0 = Vector512.FusedMultiplyAdd(Raw16(ref Unsafe.Add(ref w, i)), Vector512.LoadUnsafe(ref xs, (nuint)i), a0);
            a1 = Vector512.FusedMultiplyAdd(Raw16(ref Unsafe.Add(ref w, i + 16)), Vector512.LoadUnsafe(ref xs, (nuint)(i + 16)), a1);
        }
        if (i <= n - 16)
        {
            special |= Vector256.GreaterThanOrEqualAny(Vector256.LoadUnsafe(ref w, (nuint)i) & Vector256.Create(MagnitudeMask), Vector256.Create(SpecialMagnitude));
            a0 = Vector512.FusedMultiplyAdd(Raw16(ref Unsafe.Add(ref w, i)), Vector512.LoadUnsafe(ref xs, (nuint)i), a0);
            i += 16;
        }
        float s = Reduce(a0 + a1);
        for (; i < n; i++) s = MathF.FusedMultiplyAdd(Raw1(Unsafe.Add(ref w, i), ref special), Unsafe.Add(ref xs, i), s);
        return s;
    }

    // Lanes256.Dot's order, blocks of 8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot256Scaled(ref ushort w, int n, ref float xs, ref Vector256<ushort> seen, ref bool special)
    {
        Vector256<float> a0 = default, a1 = default;
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            seen = Vector256.Max(seen, Vector256.LoadUnsafe(ref w, (nuint)i) & Vector256.Create(MagnitudeMask));
            a0 = Vector256.FusedMultiplyAdd(Raw8(ref Unsafe.Add(ref w, i)), Vector256.LoadUnsafe(ref xs, (nuint)i), a0);
            a1 = Vector256.FusedMultiplyAdd(Raw8(ref Unsafe.Add(ref w, i + 8)), Vector256.LoadUnsafe(ref xs, (nuint)(i + 8)), a1);
        }
        if (i <= n - 8)
        {
            special |= Vector128.GreaterThanOrEqualAny(Vector128.LoadUnsafe(ref w, (nuint)i) & Vector128.Create(MagnitudeMask), Vector128.Create(SpecialMagnitude));
            a0 = Vector256.FusedMultiplyAdd(Raw8(ref Unsafe.Add(ref w, i)), Vector256.LoadUnsafe(ref xs, (nuint)i), a0);
            i += 8;
        }
        float s = Reduce(a0 + a1);
        for (; i < n; i++) s = MathF.FusedMultiplyAdd(Raw1(Unsafe.Add(ref w, i), ref special), Unsafe.Add(ref xs, i), s);
        return s;
    }

    // Sixteen float16 values as w·2^-112: sign-extend to 32 bits and shift left 13 (sign at bit 31,
    // copies of it in bits 30..28, masked off; exponent and mantissa at their float32 places).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Raw16(ref ushort p) =>
        Avx512F.And(Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref p).AsInt16()), 13), Vector512.Create(unchecked((int)0x8FFFE000))).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Raw8(ref ushort p)
    {
        var h = Vector128.LoadUnsafe(ref p).AsInt16();
        var wide = Avx2.IsSupported ? Avx2.ConvertToVector256Int32(h) : Vector256.Create(Vector128.WidenLower(h), Vector128.WidenUpper(h));
        return (Vector256.ShiftLeft(wide, 13) & Vector256.Create(unchecked((int)0x8FFFE000))).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Raw1(ushort h, ref bool special)
    {
        special |= (h & MagnitudeMask) >= SpecialMagnitude;
        return BitConverter.Int32BitsToSingle(((short)h << 13) & unchecked((int)0x8FFFE000));
    }
}
