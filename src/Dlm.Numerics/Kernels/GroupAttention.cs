using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Decode attention of one new position: a few query heads that share one KV head (a GQA group, or
/// one head alone) against that head's cached keys and values. Each key row is loaded once for all
/// the heads of the call (scores), and each value row once for all of them (p·V, the outputs in
/// registers), so a group reads its cache once instead of once per head.
/// </summary>
/// <remarks>
/// A head's result does not depend on the other heads of the call: its scores, softmax and p·V are
/// the same operations in the same order whether it is computed alone (<c>heads = 1</c>) or with its
/// group, so a decode step may split a group over threads by head without changing a bit. The
/// vector path takes 512-bit vectors where the head width is a multiple of 16 (up to 128); other widths
/// and machines take each head alone through <see cref="MatVec"/> and TensorPrimitives. <see cref="Scalar"/>
/// is the plain loop, the reference both are tested against.
/// </remarks>
public static class GroupAttention
{
    /// <summary>Heads whose p·V accumulators one pass over the values keeps in registers.</summary>
    private const int HeadsPerPass = 4;

    /// <summary>
    /// probs[h] = softmax(scale · K·q[h]) over the <paramref name="length"/> cached positions and
    /// y[h] = Σ_j probs[h, j]·V[j] for each of <paramref name="heads"/> query heads.
    /// </summary>
    /// <param name="q">Queries: <paramref name="heads"/> rows of <paramref name="headDim"/> at stride <paramref name="ldq"/>.</param>
    /// <param name="ldq">Row stride of q.</param>
    /// <param name="heads">Query heads in this call (at least 1).</param>
    /// <param name="keys">Cached keys, <paramref name="length"/> rows of <paramref name="headDim"/>.</param>
    /// <param name="values">Cached values, the same shape.</param>
    /// <param name="length">Cached positions to attend to (at least 1).</param>
    /// <param name="headDim">Width of a head.</param>
    /// <param name="scale">Score scale (1/√headDim).</param>
    /// <param name="probs">Out: the probabilities, <paramref name="heads"/> rows of <paramref name="length"/> at stride <paramref name="ldp"/>.</param>
    /// <param name="ldp">Row stride of probs.</param>
    /// <param name="y">Out: <paramref name="heads"/> rows of <paramref name="headDim"/> at stride <paramref name="ldy"/>.</param>
    /// <param name="ldy">Row stride of y.</param>
    public static void Decode(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int headDim, float scale,
        Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        Check(q.Length, ldq, heads, keys.Length, values.Length, length, headDim, probs.Length, ldp, y.Length, ldy);
        if (Vector512.IsHardwareAccelerated && headDim % 16 == 0 && headDim <= 16 * MaxBlocks)
            Vector(q, ldq, heads, keys, values, length, headDim, scale, probs, ldp, y, ldy);
        else Fallback(q, ldq, heads, keys, values, length, headDim, scale, probs, ldp, y, ldy);
    }

    // Other widths or hardware: each head on its own, the scores by MatVec (keys as its matrix), p·V row by row (TensorPrimitives).
    private static void Fallback(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int headDim, float scale,
        Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        for (int h = 0; h < heads; h++)
        {
            var p = probs.Slice(h * ldp, length);
            MatVec.F32(keys, headDim, q.Slice(h * ldq, headDim), headDim, 1, p, length, 0, length);
            TensorPrimitives.Multiply(p, scale, p);
            Softmax(p);
            var yh = y.Slice(h * ldy, headDim);
            yh.Clear();
            for (int j = 0; j < length; j++) TensorPrimitives.MultiplyAdd(values.Slice(j * headDim, headDim), p[j], yh, yh);
        }
    }

    /// <summary>The scalar loop (float sums in order), the reference the kernel is tested against.</summary>
    public static void Scalar(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int headDim, float scale,
        Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        Check(q.Length, ldq, heads, keys.Length, values.Length, length, headDim, probs.Length, ldp, y.Length, ldy);
        for (int h = 0; h < heads; h++)
        {
            var qh = q.Slice(h * ldq, headDim);
            var p = probs.Slice(h * ldp, length);
            for (int j = 0; j < length; j++)
            {
                float s = 0;
                var k = keys.Slice(j * headDim, headDim);
                for (int d = 0; d < headDim; d++) s = MathF.FusedMultiplyAdd(qh[d], k[d], s);
                p[j] = s * scale;
            }
            Softmax(p);
            var yh = y.Slice(h * ldy, headDim);
            yh.Clear();
            for (int j = 0; j < length; j++)
            {
                var v = values.Slice(j * headDim, headDim);
                for (int d = 0; d < headDim; d++) yh[d] = MathF.FusedMultiplyAdd(p[j], v[d], yh[d]);
            }
        }
    }

    private const int MaxBlocks = 8;

    private static void Check(int qLength, int ldq, int heads, int keysLength, int valuesLength, int length, int headDim, int probsLength, int ldp, int yLength, int ldy)
    {
        if (heads < 1 || length < 1 || headDim < 1) throw new ArgumentException("a call needs at least one head, one position and a positive head width");
        if (ldq < headDim || (long)(heads - 1) * ldq + headDim > qLength) throw new ArgumentException("q is too short for the heads");
        if ((long)length * headDim > Math.Min(keysLength, valuesLength)) throw new ArgumentException("keys or values hold fewer than length rows");
        if (ldp < length || (long)(heads - 1) * ldp + length > probsLength) throw new ArgumentException("probs is too short");
        if (ldy < headDim || (long)(heads - 1) * ldy + headDim > yLength) throw new ArgumentException("y is too short for the heads");
    }

    // max-subtracted exp, normalised (TensorPrimitives: vectorised, the same order on every call).
    private static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        TensorPrimitives.Multiply(x, 1f / TensorPrimitives.Sum(x), x);
    }

    private static void Vector(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int length, int headDim, float scale,
        Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        int blocks = headDim / 16;
        ref float k0 = ref MemoryMarshal.GetReference(keys);
        ref float v0 = ref MemoryMarshal.GetReference(values);
        ref float p0 = ref MemoryMarshal.GetReference(probs);
        // Scores: each key row's blocks loaded once, every head's dot product from them (block 0 first, then FMAs in block order).
        for (int h0 = 0; h0 < heads; h0 += HeadsPerPass)
        {
            int nh = Math.Min(HeadsPerPass, heads - h0);
            var qs = default(Queries);
            ref var qv = ref Unsafe.As<Queries, Vector512<float>>(ref qs);
            for (int h = 0; h < nh; h++)
                for (int b = 0; b < blocks; b++)
                    Unsafe.Add(ref qv, h * MaxBlocks + b) = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(q.Slice((h0 + h) * ldq + b * 16, 16)));
            for (int j = 0; j < length; j++)
            {
                ref float kj = ref Unsafe.Add(ref k0, (nint)j * headDim);
                Prefetch(ref Unsafe.Add(ref kj, PrefetchRows * headDim), headDim);
                for (int h = 0; h < nh; h++)
                {
                    ref var qh = ref Unsafe.Add(ref qv, h * MaxBlocks);
                    var acc = Vector512.LoadUnsafe(ref kj) * qh;
                    for (int b = 1; b < blocks; b++) acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref kj, (nuint)(b * 16)), Unsafe.Add(ref qh, b), acc);
                    Unsafe.Add(ref p0, (nint)(h0 + h) * ldp + j) = Vector512.Sum(acc) * scale;
                }
            }
        }
        for (int h = 0; h < heads; h++) Softmax(probs.Slice(h * ldp, length));
        // p·V: panels of up to four blocks (64 columns) × up to four heads of accumulators in registers.
        ref float y0 = ref MemoryMarshal.GetReference(y);
        for (int h0 = 0; h0 < heads; h0 += HeadsPerPass)
        {
            int nh = Math.Min(HeadsPerPass, heads - h0);
            for (int b0 = 0; b0 < blocks; b0 += 4)
            {
                int nb = Math.Min(4, blocks - b0);
                ref float vp = ref Unsafe.Add(ref v0, b0 * 16);
                ref float pp = ref Unsafe.Add(ref p0, (nint)h0 * ldp);
                ref float yp = ref Unsafe.Add(ref y0, (nint)h0 * ldy + b0 * 16);
                switch (nh * 4 + nb)
                {
                    case 5: Panel<N1, N1>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 6: Panel<N1, N2>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 7: Panel<N1, N3>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 8: Panel<N1, N4>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 9: Panel<N2, N1>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 10: Panel<N2, N2>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 11: Panel<N2, N3>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 12: Panel<N2, N4>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 13: Panel<N3, N1>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 14: Panel<N3, N2>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 15: Panel<N3, N3>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 16: Panel<N3, N4>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 17: Panel<N4, N1>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 18: Panel<N4, N2>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    case 19: Panel<N4, N3>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                    default: Panel<N4, N4>(ref vp, ref pp, ldp, length, headDim, ref yp, ldy); break;
                }
            }
        }
    }

    // y[h, 0..16·TB) = Σ_j p[h, j]·V[j, 0..16·TB) for TH heads, j in order, one FMA chain per (head, block).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel<TH, TB>(ref float v, ref float p, int ldp, int length, int headDim, ref float y, int ldy)
        where TH : struct, ICount where TB : struct, ICount
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int j = 0; j < length; j++)
        {
            ref float vj = ref Unsafe.Add(ref v, (nint)j * headDim);
            Prefetch(ref Unsafe.Add(ref vj, PrefetchRows * headDim), 16 * TB.Count);
            var v0 = Vector512.LoadUnsafe(ref vj);
            var v1 = TB.Count > 1 ? Vector512.LoadUnsafe(ref vj, 16) : default;
            var v2 = TB.Count > 2 ? Vector512.LoadUnsafe(ref vj, 32) : default;
            var v3 = TB.Count > 3 ? Vector512.LoadUnsafe(ref vj, 48) : default;
            var p0 = Vector512.Create(Unsafe.Add(ref p, j));
            a00 = Vector512.FusedMultiplyAdd(p0, v0, a00);
            if (TB.Count > 1) a01 = Vector512.FusedMultiplyAdd(p0, v1, a01);
            if (TB.Count > 2) a02 = Vector512.FusedMultiplyAdd(p0, v2, a02);
            if (TB.Count > 3) a03 = Vector512.FusedMultiplyAdd(p0, v3, a03);
            if (TH.Count > 1)
            {
                var p1 = Vector512.Create(Unsafe.Add(ref p, (nint)1 * ldp + j));
                a10 = Vector512.FusedMultiplyAdd(p1, v0, a10);
                if (TB.Count > 1) a11 = Vector512.FusedMultiplyAdd(p1, v1, a11);
                if (TB.Count > 2) a12 = Vector512.FusedMultiplyAdd(p1, v2, a12);
                if (TB.Count > 3) a13 = Vector512.FusedMultiplyAdd(p1, v3, a13);
            }
            if (TH.Count > 2)
            {
                var p2 = Vector512.Create(Unsafe.Add(ref p, (nint)2 * ldp + j));
                a20 = Vector512.FusedMultiplyAdd(p2, v0, a20);
                if (TB.Count > 1) a21 = Vector512.FusedMultiplyAdd(p2, v1, a21);
                if (TB.Count > 2) a22 = Vector512.FusedMultiplyAdd(p2, v2, a22);
                if (TB.Count > 3) a23 = Vector512.FusedMultiplyAdd(p2, v3, a23);
            }
            if (TH.Count > 3)
            {
                var p3 = Vector512.Create(Unsafe.Add(ref p, (nint)3 * ldp + j));
                a30 = Vector512.FusedMultiplyAdd(p3, v0, a30);
                if (TB.Count > 1) a31 = Vector512.FusedMultiplyAdd(p3, v1, a31);
                if (TB.Count > 2) a32 = Vector512.FusedMultiplyAdd(p3, v2, a32);
                if (TB.Count > 3) a33 = Vector512.FusedMultiplyAdd(p3, v3, a33);
            }
        }
        a00.StoreUnsafe(ref Unsafe.Add(ref y, 0));
        if (TB.Count > 1) a01.StoreUnsafe(ref Unsafe.Add(ref y, 16));
        if (TB.Count > 2) a02.StoreUnsafe(ref Unsafe.Add(ref y, 32));
        if (TB.Count > 3) a03.StoreUnsafe(ref Unsafe.Add(ref y, 48));
        if (TH.Count > 1) a10.StoreUnsafe(ref Unsafe.Add(ref y, (nint)1 * ldy + 0));
        if (TH.Count > 1 && TB.Count > 1) a11.StoreUnsafe(ref Unsafe.Add(ref y, (nint)1 * ldy + 16));
        if (TH.Count > 1 && TB.Count > 2) a12.StoreUnsafe(ref Unsafe.Add(ref y, (nint)1 * ldy + 32));
        if (TH.Count > 1 && TB.Count > 3) a13.StoreUnsafe(ref Unsafe.Add(ref y, (nint)1 * ldy + 48));
        if (TH.Count > 2) a20.StoreUnsafe(ref Unsafe.Add(ref y, (nint)2 * ldy + 0));
        if (TH.Count > 2 && TB.Count > 1) a21.StoreUnsafe(ref Unsafe.Add(ref y, (nint)2 * ldy + 16));
        if (TH.Count > 2 && TB.Count > 2) a22.StoreUnsafe(ref Unsafe.Add(ref y, (nint)2 * ldy + 32));
        if (TH.Count > 2 && TB.Count > 3) a23.StoreUnsafe(ref Unsafe.Add(ref y, (nint)2 * ldy + 48));
        if (TH.Count > 3) a30.StoreUnsafe(ref Unsafe.Add(ref y, (nint)3 * ldy + 0));
        if (TH.Count > 3 && TB.Count > 1) a31.StoreUnsafe(ref Unsafe.Add(ref y, (nint)3 * ldy + 16));
        if (TH.Count > 3 && TB.Count > 2) a32.StoreUnsafe(ref Unsafe.Add(ref y, (nint)3 * ldy + 32));
        if (TH.Count > 3 && TB.Count > 3) a33.StoreUnsafe(ref Unsafe.Add(ref y, (nint)3 * ldy + 48));
    }

    // Cache rows ahead (4 KB of a 64-wide head) that the loops prefetch, so that the next rows' memory
    // reads overlap this row's FMAs rather than taking turns with them.
    private const int PrefetchRows = 16;

    // Every cache line of `floats` floats at p (a hint: an address past the cache is harmless).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref float p, int floats)
    {
        if (!Sse.IsSupported) return;
        byte* b = (byte*)Unsafe.AsPointer(ref p);
        for (int i = 0; i < floats; i += 16) Sse.Prefetch0(b + 4 * i);
    }

    // The queries of up to four heads, up to eight 16-lane blocks each.
    [InlineArray(HeadsPerPass * MaxBlocks)]
    private struct Queries
    {
        private Vector512<float> _element;
    }
}
