using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dlm.Models.Optim;

/// <summary>
/// AdamW over flat float arenas with PyTorch <c>torch.optim.AdamW</c> semantics (the single-tensor
/// path of PyTorch 1.13/2.x, operation for operation, so results agree to float rounding).
/// For each range, with <c>t</c> the 1-based step:
/// <code>
/// p = p * (1 - lr*wd)                       (only where Decay)
/// m = b1*m + (1-b1)*g
/// v = b2*v + (1-b2)*g*g
/// p = p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
/// </code>
/// Elements of the arena outside every range are not touched. The update is vectorised
/// (Vector512 or Vector256, scalar tail) and allocates nothing; the scalar reference
/// <see cref="UpdateScalar"/> beside it defines the result bit for bit.
/// </summary>
public static class AdamW
{
    /// <summary>Which kernel runs the element-wise update (tests pin each one).</summary>
    internal enum Kernel { Best, Scalar, Vector256, Vector512 }

    /// <summary>Applies one AdamW step to every range of the arena, in place.</summary>
    /// <param name="param">The parameter arena, updated in place.</param>
    /// <param name="grad">Gradients, same length as <paramref name="param"/> (already clipped and scaled).</param>
    /// <param name="m">First-moment arena, same length, zero before the first step; updated in place.</param>
    /// <param name="v">Second-moment arena, same length, zero before the first step; updated in place.</param>
    /// <param name="ranges">The trainable tensors; they must not overlap.</param>
    /// <param name="step">The 1-based step number (1 on the first update), used for bias correction.</param>
    /// <param name="learningRate">The learning rate for this step (from an <see cref="ILearningRateSchedule"/>).</param>
    /// <param name="options">Betas, epsilon and weight decay.</param>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        ReadOnlySpan<ParamRange> ranges, int step, float learningRate, AdamWOptions options)
        => Step(param, grad, m, v, ranges, step, learningRate, options, Kernel.Best);

    /// <summary>
    /// Applies one AdamW step to part <paramref name="part"/> of <paramref name="parts"/> of the
    /// trainable elements (the ranges taken in order, cut into equal spans at multiples of 16
    /// elements). Calling it for every part, from as many threads as you like, updates exactly what
    /// <see cref="Step(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, ReadOnlySpan{ParamRange}, int, float, AdamWOptions)"/>
    /// updates, bit for bit: the update is element-wise. This is how a caller with its own thread pool
    /// parallelises the optimizer without allocating.
    /// </summary>
    /// <param name="param">The parameter arena, updated in place.</param>
    /// <param name="grad">Gradients, same length as <paramref name="param"/>.</param>
    /// <param name="m">First-moment arena, same length; updated in place.</param>
    /// <param name="v">Second-moment arena, same length; updated in place.</param>
    /// <param name="ranges">The trainable tensors; they must not overlap.</param>
    /// <param name="step">The 1-based step number.</param>
    /// <param name="learningRate">The learning rate for this step.</param>
    /// <param name="options">Betas, epsilon and weight decay.</param>
    /// <param name="part">Which part to update, in [0, <paramref name="parts"/>).</param>
    /// <param name="parts">How many parts the elements are cut into (for example the thread count).</param>
    public static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        ReadOnlySpan<ParamRange> ranges, int step, float learningRate, AdamWOptions options, int part, int parts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, parts);
        long total = 0;
        foreach (var r in ranges) total += Math.Max(0, r.Length);
        var begin = PartBoundary(total, part, parts);
        var end = PartBoundary(total, part + 1, parts);
        Step(param, grad, m, v, ranges, step, learningRate, options, Kernel.Best, begin, end);
    }

    // Cut points at multiples of 16 floats (one cache line) so threads do not share lines
    // inside a range.
    private static long PartBoundary(long total, int part, int parts)
        => part >= parts ? total : Math.Min(total, total * part / parts / 16 * 16);

    internal static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        ReadOnlySpan<ParamRange> ranges, int step, float learningRate, AdamWOptions options, Kernel kernel)
        => Step(param, grad, m, v, ranges, step, learningRate, options, kernel, 0, long.MaxValue);

    /// <summary>Updates the trainable elements whose position in range order lies in [begin, end).</summary>
    private static void Step(Span<float> param, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
        ReadOnlySpan<ParamRange> ranges, int step, float learningRate, AdamWOptions options, Kernel kernel,
        long begin, long end)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(step);
        if (grad.Length != param.Length || m.Length != param.Length || v.Length != param.Length)
            throw new ArgumentException(
                $"AdamW arenas differ in length: param {param.Length}, grad {grad.Length}, m {m.Length}, v {v.Length}");
        options.Validate();

        var c = Coefficients.For(step, learningRate, options);
        long position = 0; // index of the current range's first element in range order
        foreach (var r in ranges)
        {
            if (r.Offset < 0 || r.Length < 0 || (long)r.Offset + r.Length > param.Length)
                throw new ArgumentOutOfRangeException(nameof(ranges),
                    $"parameter range '{r.Name}' [{r.Offset}, +{r.Length}) lies outside the arena of {param.Length}");
            var from = (int)Math.Clamp(begin - position, 0, r.Length);
            var to = (int)Math.Clamp(end - position, 0, r.Length);
            position += r.Length;
            if (from >= to) continue;
            var decay = r.Decay ? c.DecayFactor : 1f;
            var o = r.Offset + from;
            var n = to - from;
            Update(param.Slice(o, n), grad.Slice(o, n), m.Slice(o, n), v.Slice(o, n), in c, decay, kernel);
        }
    }

    /// <summary>
    /// Per-step scalars, computed in double exactly as PyTorch computes them in Python and then
    /// rounded to float where PyTorch hands them to a float kernel.
    /// </summary>
    internal readonly struct Coefficients
    {
        public float DecayFactor { get; init; }
        public float Beta1 { get; init; }
        public float OneMinusBeta1 { get; init; }
        public float Beta2 { get; init; }
        public float OneMinusBeta2 { get; init; }
        public float NegStepSize { get; init; }
        public float BiasCorrection2Sqrt { get; init; }
        public float Eps { get; init; }

        public static Coefficients For(int step, float learningRate, AdamWOptions o)
        {
            double lr = DecimalWidening.Widen(learningRate);
            double b1 = DecimalWidening.Widen(o.Beta1);
            double b2 = DecimalWidening.Widen(o.Beta2);
            double wd = DecimalWidening.Widen(o.WeightDecay);
            double bc1 = 1.0 - Math.Pow(b1, step);
            double bc2 = 1.0 - Math.Pow(b2, step);
            return new Coefficients
            {
                DecayFactor = (float)(1.0 - lr * wd),
                Beta1 = (float)b1,
                OneMinusBeta1 = (float)(1.0 - b1),
                Beta2 = (float)b2,
                OneMinusBeta2 = (float)(1.0 - b2),
                NegStepSize = (float)(-(lr / bc1)),
                BiasCorrection2Sqrt = (float)Math.Sqrt(bc2),
                Eps = o.Eps,
            };
        }
    }

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        in Coefficients c, float decay, Kernel kernel)
    {
        var done = 0;
        if (kernel == Kernel.Vector512 || (kernel == Kernel.Best && Vector512.IsHardwareAccelerated))
            done = UpdateVector512(p, g, m, v, in c, decay);
        else if (kernel == Kernel.Vector256 || (kernel == Kernel.Best && Vector256.IsHardwareAccelerated))
            done = UpdateVector256(p, g, m, v, in c, decay);
        if (done < p.Length)
            UpdateScalar(p[done..], g[done..], m[done..], v[done..], in c, decay);
    }

    /// <summary>
    /// The reference: one element at a time, in PyTorch's operation order
    /// (<c>mul_</c>, <c>mul_.add_</c>, <c>mul_.addcmul_</c>, <c>sqrt / bc2 + eps</c>, <c>addcdiv_</c>).
    /// The vector kernels perform the same IEEE operations (no fused multiply-add), so they agree bit for bit.
    /// </summary>
    internal static void UpdateScalar(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        in Coefficients c, float decay)
    {
        for (var i = 0; i < p.Length; i++)
        {
            var gi = g[i];
            var mi = m[i] * c.Beta1 + gi * c.OneMinusBeta1;
            var vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            var denom = MathF.Sqrt(vi) / c.BiasCorrection2Sqrt + c.Eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay + c.NegStepSize * (mi / denom);
        }
    }

    private static int UpdateVector512(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        in Coefficients c, float decay)
    {
        var n = p.Length - Vector512<float>.Count;
        if (n < 0) return 0;
        ref var p0 = ref MemoryMarshal.GetReference(p);
        ref var g0 = ref MemoryMarshal.GetReference(g);
        ref var m0 = ref MemoryMarshal.GetReference(m);
        ref var v0 = ref MemoryMarshal.GetReference(v);
        var vDecay = Vector512.Create(decay);
        var b1 = Vector512.Create(c.Beta1);
        var omb1 = Vector512.Create(c.OneMinusBeta1);
        var b2 = Vector512.Create(c.Beta2);
        var omb2 = Vector512.Create(c.OneMinusBeta2);
        var negStep = Vector512.Create(c.NegStepSize);
        var bc2 = Vector512.Create(c.BiasCorrection2Sqrt);
        var eps = Vector512.Create(c.Eps);
        nuint i = 0;
        for (; (int)i <= n; i += (nuint)Vector512<float>.Count)
        {
            var gi = Vector512.LoadUnsafe(ref g0, i);
            var mi = Vector512.LoadUnsafe(ref m0, i) * b1 + gi * omb1;
            var vi = Vector512.LoadUnsafe(ref v0, i) * b2 + omb2 * gi * gi;
            var denom = Vector512.Sqrt(vi) / bc2 + eps;
            mi.StoreUnsafe(ref m0, i);
            vi.StoreUnsafe(ref v0, i);
            (Vector512.LoadUnsafe(ref p0, i) * vDecay + negStep * (mi / denom)).StoreUnsafe(ref p0, i);
        }
        return (int)i;
    }

    private static int UpdateVector256(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        in Coefficients c, float decay)
    {
        var n = p.Length - Vector256<float>.Count;
        if (n < 0) return 0;
        ref var p0 = ref MemoryMarshal.GetReference(p);
        ref var g0 = ref MemoryMarshal.GetReference(g);
        ref var m0 = ref MemoryMarshal.GetReference(m);
        ref var v0 = ref MemoryMarshal.GetReference(v);
        var vDecay = Vector256.Create(decay);
        var b1 = Vector256.Create(c.Beta1);
        var omb1 = Vector256.Create(c.OneMinusBeta1);
        var b2 = Vector256.Create(c.Beta2);
        var omb2 = Vector256.Create(c.OneMinusBeta2);
        var negStep = Vector256.Create(c.NegStepSize);
        var bc2 = Vector256.Create(c.BiasCorrection2Sqrt);
        var eps = Vector256.Create(c.Eps);
        nuint i = 0;
        for (; (int)i <= n; i += (nuint)Vector256<float>.Count)
        {
            var gi = Vector256.LoadUnsafe(ref g0, i);
            var mi = Vector256.LoadUnsafe(ref m0, i) * b1 + gi * omb1;
            var vi = Vector256.LoadUnsafe(ref v0, i) * b2 + omb2 * gi * gi;
            var denom = Vector256.Sqrt(vi) / bc2 + eps;
            mi.StoreUnsafe(ref m0, i);
            vi.StoreUnsafe(ref v0, i);
            (Vector256.LoadUnsafe(ref p0, i) * vDecay + negStep * (mi / denom)).StoreUnsafe(ref p0, i);
        }
        return (int)i;
    }
}
