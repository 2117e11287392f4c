using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Models.Optim;

/// <summary>
/// Global-norm gradient clipping over the flat gradient arena, as
/// <c>torch.nn.utils.clip_grad_norm_(params, max_norm)</c> does it: one L2 norm over every
/// gradient, then a single scale factor <c>max_norm / (norm + 1e-6)</c> applied when it is below 1.
/// Allocation-free.
/// </summary>
public static class GradientClipping
{
    /// <summary>PyTorch's guard added to the norm before dividing (float32, like the tensor it is added to).</summary>
    public const float NormEpsilon = 1e-6f;

    /// <summary>
    /// The L2 norm of all gradients. Squares are summed in double (across the lanes of two vector accumulators,
    /// then a scalar tail), so the result keeps its digits over tens of millions of elements.
    /// </summary>
    /// <param name="grad">The gradient arena (elements outside any parameter range must be zero).</param>
    /// <returns>The norm rounded to float; NaN or infinity when a gradient is.</returns>
    public static float GlobalNorm(ReadOnlySpan<float> grad) => (float)Math.Sqrt(SumOfSquares(grad));

    /// <summary>
    /// Scales every gradient by <c>maxNorm / (norm + 1e-6)</c> when that factor is below 1 (so also when
    /// the norm is within 1e-6 under <paramref name="maxNorm"/>, exactly as PyTorch does).
    /// A non-finite norm is returned unchanged for the caller to act on (skip the step); with an
    /// infinite norm the gradients are scaled by 0, as PyTorch does.
    /// </summary>
    /// <param name="grad">The gradient arena, scaled in place.</param>
    /// <param name="maxNorm">The largest allowed global norm (1.0 in niels-gpt).</param>
    /// <returns>The norm before clipping (what PyTorch returns and what training logs report).</returns>
    public static float ClipByGlobalNorm(Span<float> grad, float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max norm must be > 0");
        var norm = GlobalNorm(grad);
        var coefficient = ClipCoefficient(norm, maxNorm);
        if (coefficient < 1f) TensorPrimitives.Multiply(grad, coefficient, grad);
        return norm;
    }

    /// <summary>The factor PyTorch multiplies gradients by: <c>min(1, maxNorm / (norm + 1e-6))</c>, in float32.</summary>
    /// <param name="norm">The global norm before clipping.</param>
    /// <param name="maxNorm">The largest allowed global norm.</param>
    /// <returns>The scale factor (1 when no clipping happens; NaN when the norm is NaN).</returns>
    public static float ClipCoefficient(float norm, float maxNorm)
    {
        var coefficient = maxNorm / (norm + NormEpsilon);
        return coefficient < 1f || float.IsNaN(coefficient) ? coefficient : 1f;
    }

    internal static double SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        var i = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            ref var x0 = ref MemoryMarshal.GetReference(x);
            var acc0 = Vector512<double>.Zero;
            var acc1 = Vector512<double>.Zero;
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref x0, (nuint)i));
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            ref var x0 = ref MemoryMarshal.GetReference(x);
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref x0, (nuint)i));
                acc0 += lo * lo;
                acc1 += hi * hi;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        return sum + SumOfSquaresScalar(x[i..]);
    }

    /// <summary>The reference: a plain double accumulation, element by element.</summary>
    internal static double SumOfSquaresScalar(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (var e in x) sum += (double)e * e;
        return sum;
    }
}
