using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Generation;

/// <summary>
/// SwiGLU for inference: act = σ(gate)·gate·up with σ(g) = 1 / (1 + e^−g) by <see cref="FastExp"/>
/// (float32 throughout; <c>TensorPrimitives.Sigmoid</c> computes its exp in float64 at several times
/// the cost), in one pass over a row instead of three. Every element takes the same operations on
/// every path (512-bit, 256-bit, scalar tail), so a value does not depend on where a column range
/// starts or ends: a row may be split over threads anywhere without changing a bit.
/// </summary>
internal static class SwiGluRows
{
    /// <summary>act[row, c0..c1) from fc's row (gate in its first <paramref name="f"/> columns, up in the next f).</summary>
    public static void Forward(Span<float> act, ReadOnlySpan<float> fc, int f, int row, int c0, int c1) =>
        Forward(act, fc, f, row, c0, c1, Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 0);

    /// <summary><see cref="Forward(Span{float}, ReadOnlySpan{float}, int, int, int, int)"/> on a chosen path: 512, 256 or 0 (scalar), for tests.</summary>
    internal static void Forward(Span<float> act, ReadOnlySpan<float> fc, int f, int row, int c0, int c1, int width)
    {
        if ((uint)c0 > (uint)c1 || c1 > f) throw new ArgumentOutOfRangeException(nameof(c1));
        var g = fc.Slice(row * 2 * f, f);
        var u = fc.Slice(row * 2 * f + f, f);
        var a = act.Slice(row * f, f);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float ur = ref MemoryMarshal.GetReference(u);
        ref float ar = ref MemoryMarshal.GetReference(a);
        int i = c0;
        if (width == 512)
        {
            var one = Vector512<float>.One;
            for (; i + 16 <= c1; i += 16)
            {
                var x = Vector512.LoadUnsafe(ref gr, (nuint)i);
                var s = one / (one + FastExp.Exp(-x));
                (s * x * Vector512.LoadUnsafe(ref ur, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
            }
        }
        else if (width == 256)
        {
            var one = Vector256<float>.One;
            for (; i + 8 <= c1; i += 8)
            {
                var x = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var s = one / (one + FastExp.Exp(-x));
                (s * x * Vector256.LoadUnsafe(ref ur, (nuint)i)).StoreUnsafe(ref ar, (nuint)i);
            }
        }
        for (; i < c1; i++) Unsafe.Add(ref ar, i) = Scalar(Unsafe.Add(ref gr, i), Unsafe.Add(ref ur, i));
    }

    // One element: the vector lanes' operations (FastExp.Exp is the vector paths' scalar form, bit for bit).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scalar(float x, float up)
    {
        float s = 1f / (1f + FastExp.Exp(-x));
        return s * x * up;
    }
}
