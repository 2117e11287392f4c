using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

// The 256-bit path of GroupAttention, for machines without 512-bit vectors (AVX2 and FMA) and head widths
// that are a multiple of 8 (up to 128): the same plan as the 512-bit path (each key row loaded once for the
// queries of three heads or sequences, or of a pair where two are left, the shared prefix's rows once for the queries of every sequence,
// each value row once for the queries of a panel, and the prefetching of calls over a shared prefix). A score
// is its key's block products summed by one FMA chain in block order, then the eight lanes by one fixed tree
// (Reduce8), whatever tile computes it; a p·V output is one FMA chain per (query, block) over the rows in
// order. So, as on the 512-bit path, a head's bits do not depend on the heads or sequences it is computed with.
public static unsafe partial class GroupAttention
{
    // Keys a single-query tile scores, keys a pair and a triple tile score, and value blocks and queries a p·V panel keeps in registers.
    private const int Keys256 = 8, PairKeys256 = 4, TripleKeys256 = 4, PanelBlocks256 = 4, PanelQueries256 = 2;

    private static bool Vector256Fits(int headDim) =>
        Avx2.IsSupported && Fma.IsSupported && headDim % 8 == 0 && headDim <= 8 * MaxBlocks256;

    // Widths up to 128 (sixteen blocks of 8): the pads below hold one tile's rows of that width.
    private const int MaxBlocks256 = 16;

    private static void Vector256Path(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int sharedAt, int shared,
        ReadOnlySpan<AttentionRow> rows, int headDim, float scale, Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        int total = rows.Length * heads;
        float** pr = stackalloc float*[PanelQueries256];
        float** yr = stackalloc float*[PanelQueries256];
        float* pad = stackalloc float[Keys256 * MaxBlocks256 * 8];
        fixed (float* qp = q, kp = keys, vp = values, pp = probs, yp = y)
        fixed (AttentionRow* rp = rows)
        {
            // Scores of the shared rows, a stretch of keys at a time, every query of the call against the stretch while it is in L1.
            // The cache is cold, so as on the 512-bit path, while a stretch is scored (a share per query) the next stretch is
            // fetched into L1 and the rest of what the call reads into L2 (PrefetchToL2).
            int width = headDim;
            // What PrefetchToL2 fetches, found once for the call, in as many parts as the shared scores have (stretch, query) turns.
            long lines = shared > 0 ? LinesAfterSharedKeys(rp, rows.Length, shared, width) : 0;
            int parts = (shared + KeysPerL1 - 1) / KeysPerL1 * total;
            if (shared > 0) PrefetchPart(kp + sharedAt, 0, Math.Min(shared, KeysPerL1) * width, 0, 1, l2: false);
            for (int j = 0; j < shared; j += KeysPerL1)
            {
                int je = Math.Min(shared, j + KeysPerL1);
                int nf = (Math.Min(shared, je + KeysPerL1) - je) * width;
                float* nk = je < shared ? kp + sharedAt + (nint)je * width : OwnStretch(rp, rows.Length, 0, shared, kp, width, out nf);
                // Three queries at a time, then a pair or one alone.
                for (int t = 0, tn; t < total; t += tn)
                {
                    tn = Math.Min(3, total - t);
                    for (int u = t; u < t + tn; u++)
                    {
                        PrefetchPart(nk, 0, nf, u, total, l2: false);
                        PrefetchToL2(rp, rows.Length, shared, kp, vp + sharedAt, vp, width, lines, (j / KeysPerL1) * total + u, parts);
                    }
                    float* qa = Query(rp, t, heads, qp, ldq), pa = Probs(rp, t, heads, pp, ldp);
                    if (tn == 3)
                        ScoreTriple256(kp + sharedAt, j, je, headDim, qa, Query(rp, t + 1, heads, qp, ldq), Query(rp, t + 2, heads, qp, ldq),
                            pa, Probs(rp, t + 1, heads, pp, ldp), Probs(rp, t + 2, heads, pp, ldp), scale, pad);
                    else if (tn == 2) ScorePair256(kp + sharedAt, j, je, headDim, qa, Query(rp, t + 1, heads, qp, ldq), pa, Probs(rp, t + 1, heads, pp, ldp), scale, pad);
                    else Score256(kp + sharedAt, j, je, headDim, qa, pa, scale, pad);
                }
            }
            // Each sequence's own rows for its heads, two heads at a time, a stretch at a time; after a shared prefix, the next
            // stretch (this sequence's or the next one's) is fetched into L1 meanwhile.
            for (int m = 0; m < rows.Length; m++)
            {
                var r = rp[m];
                for (int j = shared; j < r.Length; j += KeysPerL1)
                {
                    int je = Math.Min(r.Length, j + KeysPerL1);
                    int nf = (Math.Min(r.Length, je + KeysPerL1) - je) * width;
                    float* nk = je < r.Length ? kp + r.Cache + (nint)je * width : OwnStretch(rp, rows.Length, m + 1, shared, kp, width, out nf);
                    for (int h = 0, hn; h < heads; h += hn)
                    {
                        hn = Math.Min(3, heads - h);
                        if (shared > 0)
                            for (int u = h; u < h + hn; u++) PrefetchPart(nk, 0, nf, u, heads, l2: false);
                        float* qa = qp + r.Query + h * ldq, pa = pp + r.Probs + h * ldp;
                        if (hn == 3) ScoreTriple256(kp + r.Cache, j, je, headDim, qa, qa + ldq, qa + 2 * ldq, pa, pa + ldp, pa + 2 * ldp, scale, pad);
                        else if (hn == 2) ScorePair256(kp + r.Cache, j, je, headDim, qa, qa + ldq, pa, pa + ldp, scale, pad);
                        else Score256(kp + r.Cache, j, je, headDim, qa, pa, scale, pad);
                    }
                }
            }
            for (int m = 0; m < rows.Length; m++)
                for (int h = 0; h < heads; h++) Softmax(new Span<float>(pp + rp[m].Probs + h * ldp, rp[m].Length));
            // p·V over the shared rows (panels of up to two queries of any sequences), then on over each sequence's
            // own rows, its accumulators reloaded from where the shared rows left them.
            if (shared > 0)
                for (int t0 = 0; t0 < total; t0 += PanelQueries256)
                {
                    int nq = Math.Min(PanelQueries256, total - t0);
                    for (int t = 0; t < nq; t++)
                    {
                        var r = rp[(t0 + t) / heads];
                        int h = (t0 + t) % heads;
                        pr[t] = pp + r.Probs + h * ldp;
                        yr[t] = yp + r.Output + h * ldy;
                    }
                    Panels256(vp + sharedAt, 0, shared, headDim, nq, pr, yr, load: false);
                }
            for (int m = 0; m < rows.Length; m++)
            {
                var r = rp[m];
                if (r.Length == shared) continue;
                for (int h0 = 0; h0 < heads; h0 += PanelQueries256)
                {
                    int nh = Math.Min(PanelQueries256, heads - h0);
                    for (int t = 0; t < nh; t++)
                    {
                        pr[t] = pp + r.Probs + (h0 + t) * ldp;
                        yr[t] = yp + r.Output + (h0 + t) * ldy;
                    }
                    Panels256(vp + r.Cache, shared, r.Length, headDim, nh, pr, yr, load: shared > 0);
                }
            }
        }
    }

    // p[j] = scale · (K[j]·q) for key rows [j0, j1) at k + j·width, eight keys a tile (the last few from a copy in pad,
    // whose other rows only reach lanes that are not stored).
    private static void Score256(float* k, int j0, int j1, int width, float* q, float* p, float scale, float* pad)
    {
        int j = j0;
        for (; j + Keys256 <= j1; j += Keys256) ScoreTile256(k + (nint)j * width, width, q, p + j, scale, Keys256);
        if (j == j1) return;
        Buffer.MemoryCopy(k + (nint)j * width, pad, (long)Keys256 * width * sizeof(float), (long)(j1 - j) * width * sizeof(float));
        ScoreTile256(pad, width, q, p + j, scale, j1 - j);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTile256(float* k, int w, float* q, float* p, float scale, int count)
    {
        var x = Vector256.Load(q);
        var a0 = Vector256.Load(k + 0 * w) * x;
        var a1 = Vector256.Load(k + 1 * w) * x;
        var a2 = Vector256.Load(k + 2 * w) * x;
        var a3 = Vector256.Load(k + 3 * w) * x;
        var a4 = Vector256.Load(k + 4 * w) * x;
        var a5 = Vector256.Load(k + 5 * w) * x;
        var a6 = Vector256.Load(k + 6 * w) * x;
        var a7 = Vector256.Load(k + 7 * w) * x;
        for (int c = 8; c < w; c += 8)
        {
            x = Vector256.Load(q + c);
            a0 = Fma.MultiplyAdd(Vector256.Load(k + 0 * w + c), x, a0);
            a1 = Fma.MultiplyAdd(Vector256.Load(k + 1 * w + c), x, a1);
            a2 = Fma.MultiplyAdd(Vector256.Load(k + 2 * w + c), x, a2);
            a3 = Fma.MultiplyAdd(Vector256.Load(k + 3 * w + c), x, a3);
            a4 = Fma.MultiplyAdd(Vector256.Load(k + 4 * w + c), x, a4);
            a5 = Fma.MultiplyAdd(Vector256.Load(k + 5 * w + c), x, a5);
            a6 = Fma.MultiplyAdd(Vector256.Load(k + 6 * w + c), x, a6);
            a7 = Fma.MultiplyAdd(Vector256.Load(k + 7 * w + c), x, a7);
        }
        var scores = Reduce8(a0, a1, a2, a3, a4, a5, a6, a7) * scale;
        if (count == Keys256)
        {
            scores.Store(p);
            return;
        }
        for (int i = 0; i < count; i++) p[i] = scores.GetElement(i);
    }

    // pa[j] and pb[j] for key rows [j0, j1): Score256 for two queries, four keys a tile, each key block loaded once for both.
    private static void ScorePair256(float* k, int j0, int j1, int width, float* qa, float* qb, float* pa, float* pb, float scale, float* pad)
    {
        int j = j0;
        for (; j + PairKeys256 <= j1; j += PairKeys256) ScorePairTile256(k + (nint)j * width, width, qa, qb, pa + j, pb + j, scale, PairKeys256);
        if (j == j1) return;
        Buffer.MemoryCopy(k + (nint)j * width, pad, (long)PairKeys256 * width * sizeof(float), (long)(j1 - j) * width * sizeof(float));
        ScorePairTile256(pad, width, qa, qb, pa + j, pb + j, scale, j1 - j);
    }

    // Accumulators a0-a3 hold query a's products with keys 0-3, b0-b3 query b's; Reduce8 gives the eight scores in that order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScorePairTile256(float* k, int w, float* qa, float* qb, float* pa, float* pb, float scale, int count)
    {
        var x = Vector256.Load(qa);
        var z = Vector256.Load(qb);
        var v = Vector256.Load(k + 0 * w);
        Vector256<float> a0 = v * x, b0 = v * z;
        v = Vector256.Load(k + 1 * w);
        Vector256<float> a1 = v * x, b1 = v * z;
        v = Vector256.Load(k + 2 * w);
        Vector256<float> a2 = v * x, b2 = v * z;
        v = Vector256.Load(k + 3 * w);
        Vector256<float> a3 = v * x, b3 = v * z;
        for (int c = 8; c < w; c += 8)
        {
            x = Vector256.Load(qa + c);
            z = Vector256.Load(qb + c);
            v = Vector256.Load(k + 0 * w + c); a0 = Fma.MultiplyAdd(v, x, a0); b0 = Fma.MultiplyAdd(v, z, b0);
            v = Vector256.Load(k + 1 * w + c); a1 = Fma.MultiplyAdd(v, x, a1); b1 = Fma.MultiplyAdd(v, z, b1);
            v = Vector256.Load(k + 2 * w + c); a2 = Fma.MultiplyAdd(v, x, a2); b2 = Fma.MultiplyAdd(v, z, b2);
            v = Vector256.Load(k + 3 * w + c); a3 = Fma.MultiplyAdd(v, x, a3); b3 = Fma.MultiplyAdd(v, z, b3);
        }
        var scores = Reduce8(a0, a1, a2, a3, b0, b1, b2, b3) * scale;
        if (count == PairKeys256)
        {
            scores.GetLower().Store(pa);
            scores.GetUpper().Store(pb);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            pa[i] = scores.GetElement(i);
            pb[i] = scores.GetElement(PairKeys256 + i);
        }
    }

    // Query t of the call (sequence t / heads, head t % heads) and its probability row.
    private static float* Query(AttentionRow* rp, int t, int heads, float* qp, int ldq) => qp + rp[t / heads].Query + t % heads * ldq;

    private static float* Probs(AttentionRow* rp, int t, int heads, float* pp, int ldp) => pp + rp[t / heads].Probs + t % heads * ldp;

    // pa, pb and pc[j] for key rows [j0, j1): Score256 for three queries, four keys a tile. Twelve accumulators (each key
    // block loaded once for the three queries, 7 loads per 12 FMAs where a pair tile has 6 per 8) and the three queries'
    // current block fill the sixteen registers; the whole range runs in one call, the last few keys from a copy in pad.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTriple256(float* k, int j0, int j1, int width, float* qa, float* qb, float* qc, float* pa, float* pb, float* pc,
        float scale, float* pad)
    {
        nint w = width;
        var s = Vector128.Create(scale);
        for (int j = j0; j < j1; j += TripleKeys256)
        {
            int count = Math.Min(TripleKeys256, j1 - j);
            float* kj = k + j * w;
            if (count < TripleKeys256)
            {
                Buffer.MemoryCopy(kj, pad, (long)TripleKeys256 * width * sizeof(float), (long)count * width * sizeof(float));
                kj = pad;
            }
            var x = Vector256.Load(qa);
            var y = Vector256.Load(qb);
            var z = Vector256.Load(qc);
            var v = Vector256.Load(kj);
            Vector256<float> a0 = v * x, b0 = v * y, c0 = v * z;
            v = Vector256.Load(kj + w);
            Vector256<float> a1 = v * x, b1 = v * y, c1 = v * z;
            v = Vector256.Load(kj + 2 * w);
            Vector256<float> a2 = v * x, b2 = v * y, c2 = v * z;
            v = Vector256.Load(kj + 3 * w);
            Vector256<float> a3 = v * x, b3 = v * y, c3 = v * z;
            for (nint c = 8; c < w; c += 8)
            {
                x = Vector256.Load(qa + c);
                y = Vector256.Load(qb + c);
                z = Vector256.Load(qc + c);
                v = Vector256.Load(kj + c); a0 = Fma.MultiplyAdd(v, x, a0); b0 = Fma.MultiplyAdd(v, y, b0); c0 = Fma.MultiplyAdd(v, z, c0);
                v = Vector256.Load(kj + w + c); a1 = Fma.MultiplyAdd(v, x, a1); b1 = Fma.MultiplyAdd(v, y, b1); c1 = Fma.MultiplyAdd(v, z, c1);
                v = Vector256.Load(kj + 2 * w + c); a2 = Fma.MultiplyAdd(v, x, a2); b2 = Fma.MultiplyAdd(v, y, b2); c2 = Fma.MultiplyAdd(v, z, c2);
                v = Vector256.Load(kj + 3 * w + c); a3 = Fma.MultiplyAdd(v, x, a3); b3 = Fma.MultiplyAdd(v, y, b3); c3 = Fma.MultiplyAdd(v, z, c3);
            }
            var ra = Reduce4(a0, a1, a2, a3) * s;
            var rb = Reduce4(b0, b1, b2, b3) * s;
            var rc = Reduce4(c0, c1, c2, c3) * s;
            if (count == TripleKeys256)
            {
                ra.Store(pa + j);
                rb.Store(pb + j);
                rc.Store(pc + j);
                continue;
            }
            for (int i = 0; i < count; i++)
            {
                pa[j + i] = ra.GetElement(i);
                pb[j + i] = rb.GetElement(i);
                pc[j + i] = rc.GetElement(i);
            }
        }
    }

    // Four accumulators to their four lane sums by Reduce8's tree: after the horizontal adds, lane i of the low half holds
    // accumulator i's (x0 + x1) + (x2 + x3) and of the high half its (x4 + x5) + (x6 + x7).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        var t = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        return t.GetLower() + t.GetUpper();
    }

    // Eight accumulators to their eight lane sums, in order: each sum by one tree, ((x0 + x1) + (x2 + x3)) +
    // ((x4 + x5) + (x6 + x7)), whichever slot the accumulator takes (a float sum of two is the same either way round).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3,
        Vector256<float> a4, Vector256<float> a5, Vector256<float> a6, Vector256<float> a7)
    {
        // After two horizontal adds, lane i of the low half holds accumulator i's (x0 + x1) + (x2 + x3), of the high half its (x4 + x5) + (x6 + x7).
        var t0 = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
        var t1 = Avx.HorizontalAdd(Avx.HorizontalAdd(a4, a5), Avx.HorizontalAdd(a6, a7));
        return Avx.Permute2x128(t0, t1, 0x20) + Avx.Permute2x128(t0, t1, 0x31);
    }

    // y[t] (+)= Σ_j p[t][j]·V[j] over value rows [j0, j1) at v + j·headDim, for nq queries, in panels of up to four blocks.
    private static void Panels256(float* v, int j0, int j1, int headDim, int nq, float** p, float** y, bool load)
    {
        int blocks = headDim / 8;
        for (int b0 = 0; b0 < blocks; b0 += PanelBlocks256)
        {
            int nb = Math.Min(PanelBlocks256, blocks - b0), col = b0 * 8;
            switch (nq * 4 + nb)
            {
                case 5: Panel256<N1, N1>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 6: Panel256<N1, N2>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 7: Panel256<N1, N3>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 8: Panel256<N1, N4>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 9: Panel256<N2, N1>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 10: Panel256<N2, N2>(v + col, j0, j1, headDim, p, y, col, load); break;
                case 11: Panel256<N2, N3>(v + col, j0, j1, headDim, p, y, col, load); break;
                default: Panel256<N2, N4>(v + col, j0, j1, headDim, p, y, col, load); break;
            }
        }
    }

    // y[t][col .. col + 8·TB) (+)= Σ_j p[t][j]·V[j, 0 .. 8·TB) for TQ queries, j in order, one FMA chain per (query, block),
    // started from zero or (load) from the values y holds.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel256<TQ, TB>(float* v, int j0, int j1, int headDim, float** p, float** y, int col, bool load)
        where TQ : struct, ICount where TB : struct, ICount
    {
        float* p0 = p[0], p1 = TQ.Count > 1 ? p[1] : null;
        float* y0 = y[0] + col, y1 = TQ.Count > 1 ? y[1] + col : null;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        if (load)
        {
            a00 = Vector256.Load(y0);
            if (TB.Count > 1) a01 = Vector256.Load(y0 + 8);
            if (TB.Count > 2) a02 = Vector256.Load(y0 + 16);
            if (TB.Count > 3) a03 = Vector256.Load(y0 + 24);
            if (TQ.Count > 1) a10 = Vector256.Load(y1);
            if (TQ.Count > 1 && TB.Count > 1) a11 = Vector256.Load(y1 + 8);
            if (TQ.Count > 1 && TB.Count > 2) a12 = Vector256.Load(y1 + 16);
            if (TQ.Count > 1 && TB.Count > 3) a13 = Vector256.Load(y1 + 24);
        }
        for (int j = j0; j < j1; j++)
        {
            float* vj = v + (nint)j * headDim;
            var v0 = Vector256.Load(vj);
            var v1 = TB.Count > 1 ? Vector256.Load(vj + 8) : default;
            var v2 = TB.Count > 2 ? Vector256.Load(vj + 16) : default;
            var v3 = TB.Count > 3 ? Vector256.Load(vj + 24) : default;
            var q0 = Vector256.Create(p0[j]);
            a00 = Fma.MultiplyAdd(q0, v0, a00);
            if (TB.Count > 1) a01 = Fma.MultiplyAdd(q0, v1, a01);
            if (TB.Count > 2) a02 = Fma.MultiplyAdd(q0, v2, a02);
            if (TB.Count > 3) a03 = Fma.MultiplyAdd(q0, v3, a03);
            if (TQ.Count > 1)
            {
                var q1 = Vector256.Create(p1[j]);
                a10 = Fma.MultiplyAdd(q1, v0, a10);
                if (TB.Count > 1) a11 = Fma.MultiplyAdd(q1, v1, a11);
                if (TB.Count > 2) a12 = Fma.MultiplyAdd(q1, v2, a12);
                if (TB.Count > 3) a13 = Fma.MultiplyAdd(q1, v3, a13);
            }
        }
        a00.Store(y0);
        if (TB.Count > 1) a01.Store(y0 + 8);
        if (TB.Count > 2) a02.Store(y0 + 16);
        if (TB.Count > 3) a03.Store(y0 + 24);
        if (TQ.Count > 1) a10.Store(y1);
        if (TQ.Count > 1 && TB.Count > 1) a11.Store(y1 + 8);
        if (TQ.Count > 1 && TB.Count > 2) a12.Store(y1 + 16);
        if (TQ.Count > 1 && TB.Count > 3) a13.Store(y1 + 24);
    }
}
