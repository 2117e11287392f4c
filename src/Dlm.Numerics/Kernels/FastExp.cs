using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// exp in float32 for the softmax passes of training (attention blocks, the LM head's rows), about
/// ten times faster than <c>TensorPrimitives.Exp</c> on these rows (which computes in float64):
/// Cody–Waite reduction x = n·ln 2 + r (|r| ≤ ln 2 / 2, two-part ln 2 by fused multiply-add), the
/// Cephes expf polynomial for eʳ, and 2ⁿ applied as two power-of-two factors so that results down to
/// the subnormals and up to overflow are right. At most 2 ulp from the exact value for normal
/// results (the tests check it against float64 over the whole range); −∞ gives 0, +∞ gives +∞,
/// NaN stays NaN.
/// </summary>
/// <remarks>
/// Every element goes through the same operations in the same order on every path (FMA where the
/// formula has one): the Vector512 and Vector256 paths give bit for bit what <see cref="Exp(float)"/>
/// gives, so a value does not depend on its place in a row, the row's length or the thread count.
/// </remarks>
public static class FastExp
{
    // Below this exp underflows to 0 (e^−104 < half the smallest subnormal); above this it overflows to +∞.
    private const float Low = -104f, High = 89f;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>eˣ (the scalar form of the vector paths, bit for bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (float.IsNaN(x)) return x;
        x = Math.Clamp(x, Low, High);
        float fx = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(fx, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(fx, -Ln2Lo, r);
        float z = r * r;
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, z, r) + 1f;
        int n = (int)fx, n1 = n >> 1, n2 = n - n1;
        return y * BitConverter.Int32BitsToSingle((n1 + 127) << 23) * BitConverter.Int32BitsToSingle((n2 + 127) << 23);
    }

    /// <summary>eˣ on 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var nan = ~Vector512.Equals(x, x);
        var c = Vector512.Min(Vector512.Max(x, Vector512.Create(Low)), Vector512.Create(High));
        var fx = Vector512.Round(c * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(fx, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(fx, Vector512.Create(-Ln2Lo), r);
        var z = r * r;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var y = Vector512.FusedMultiplyAdd(p, z, r) + Vector512<float>.One;
        var n = Vector512.ConvertToInt32(fx);
        var n1 = Vector512.ShiftRightArithmetic(n, 1);
        var n2 = n - n1;
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(n1 + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(n2 + bias, 23).AsSingle();
        return Vector512.ConditionalSelect(nan, x, y * s1 * s2);
    }

    /// <summary>eˣ on 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var nan = ~Vector256.Equals(x, x);
        var c = Vector256.Min(Vector256.Max(x, Vector256.Create(Low)), Vector256.Create(High));
        var fx = Vector256.Round(c * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(fx, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(fx, Vector256.Create(-Ln2Lo), r);
        var z = r * r;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var y = Vector256.FusedMultiplyAdd(p, z, r) + Vector256<float>.One;
        var n = Vector256.ConvertToInt32(fx);
        var n1 = Vector256.ShiftRightArithmetic(n, 1);
        var n2 = n - n1;
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(n1 + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(n2 + bias, 23).AsSingle();
        return Vector256.ConditionalSelect(nan, x, y * s1 * s2);
    }

    /// <summary>
    /// destination[i] = exp(source[i] − shift) and returns their sum: the softmax numerator of a row
    /// and its normaliser in one pass. source and destination may be the same span.
    /// </summary>
    public static float ExpShiftedSum(ReadOnlySpan<float> source, float shift, Span<float> destination) =>
        ExpShiftedSum(source, shift, destination, Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0);

    /// <summary><see cref="ExpShiftedSum(ReadOnlySpan{float}, float, Span{float})"/> on a chosen path: 512, 256 or 0 (scalar), for tests.</summary>
    internal static float ExpShiftedSum(ReadOnlySpan<float> source, float shift, Span<float> destination, int width)
    {
        int n = source.Length, i = 0;
        if (destination.Length < n) throw new ArgumentException("destination is shorter than source", nameof(destination));
        ref float src = ref MemoryMarshal.GetReference(source);
        ref float dst = ref MemoryMarshal.GetReference(destination);
        float sum = 0f;
        if (width == 512 && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                var e = Exp(Vector512.LoadUnsafe(ref src, (nuint)i) - s);
                e.StoreUnsafe(ref dst, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (width == 256 && n >= 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                var e = Exp(Vector256.LoadUnsafe(ref src, (nuint)i) - s);
                e.StoreUnsafe(ref dst, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        // The scalar elements (a vector path's tail, or the whole row without SIMD) sum in float64:
        // a long row summed one by one in float32 would lose ~1e-5.
        double rest = 0;
        for (; i < n; i++)
        {
            float e = Exp(Unsafe.Add(ref src, i) - shift);
            Unsafe.Add(ref dst, i) = e;
            rest += e;
        }
        return (float)(sum + rest);
    }

    /// <summary>
    /// Σ exp(source[i] − shift) without writing the exponentials (a log-sum-exp's sum, e.g. the
    /// normaliser of one logprob over a whole vocabulary). Blocks of 1024 elements are summed in
    /// float32 lanes (64 terms a lane) and the block sums in float64, so the sum of a row of any
    /// length stays within ~1e-6 of the float64 sum of the same exponentials (the tests check it).
    /// </summary>
    public static double SumExpShifted(ReadOnlySpan<float> source, float shift) =>
        SumExpShifted(source, shift, Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0);

    /// <summary><see cref="SumExpShifted(ReadOnlySpan{float}, float)"/> on a chosen path: 512, 256 or 0 (scalar), for tests.</summary>
    internal static double SumExpShifted(ReadOnlySpan<float> source, float shift, int width)
    {
        const int Block = 1024;
        int n = source.Length, i = 0;
        ref float src = ref MemoryMarshal.GetReference(source);
        double total = 0;
        if (width == 512)
        {
            var s = Vector512.Create(shift);
            for (; i + 16 <= n;)
            {
                // Two accumulators: the exp of the next vector does not wait on the last add.
                var a0 = Vector512<float>.Zero;
                var a1 = Vector512<float>.Zero;
                int end = Math.Min(n, i + Block);
                for (; i + 32 <= end; i += 32)
                {
                    a0 += Exp(Vector512.LoadUnsafe(ref src, (nuint)i) - s);
                    a1 += Exp(Vector512.LoadUnsafe(ref src, (nuint)(i + 16)) - s);
                }
                if (i + 16 <= end)
                {
                    a0 += Exp(Vector512.LoadUnsafe(ref src, (nuint)i) - s);
                    i += 16;
                }
                total += Vector512.Sum(a0 + a1);
            }
        }
        else if (width == 256)
        {
            var s = Vector256.Create(shift);
            for (; i + 8 <= n;)
            {
                var a0 = Vector256<float>.Zero;
                var a1 = Vector256<float>.Zero;
                int end = Math.Min(n, i + Block);
                for (; i + 16 <= end; i += 16)
                {
                    a0 += Exp(Vector256.LoadUnsafe(ref src, (nuint)i) - s);
                    a1 += Exp(Vector256.LoadUnsafe(ref src, (nuint)(i + 8)) - s);
                }
                if (i + 8 <= end)
                {
                    a0 += Exp(Vector256.LoadUnsafe(ref src, (nuint)i) - s);
                    i += 8;
                }
                total += Vector256.Sum(a0 + a1);
            }
        }
        for (; i < n; i++) total += Exp(Unsafe.Add(ref src, i) - shift);
        return total;
    }

    /// <summary>destination[i] = exp(source[i] − shift) (the sum is not needed). source and destination may be the same span.</summary>
    public static void ExpShifted(ReadOnlySpan<float> source, float shift, Span<float> destination) =>
        ExpShiftedSum(source, shift, destination);
}
