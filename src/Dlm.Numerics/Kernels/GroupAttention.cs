using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Kernels;

/// <summary>
/// Decode attention of one new position: a few query heads that share one KV head (a GQA group, or
/// one head alone) against that head's cached keys and values. Each key row is loaded once for all
/// the heads of the call (scores), and each value row once for all of them (p·V, the outputs in
/// registers), so a group reads its cache once instead of once per head. <see cref="DecodeShared"/>
/// does the same across sequences whose first positions are one shared prefix (several samples of
/// one prompt): the prefix's rows are read once for the queries of all of them.
/// </summary>
/// <remarks>
/// A head's result does not depend on the other heads or sequences of the call, nor on where its
/// rows are stored: its scores, softmax and p·V are the same operations in the same order whether
/// it is computed alone (<c>heads = 1</c>), with its group, or with other sequences over a shared
/// prefix (the p·V sums run over the prefix, then on over the sequence's own rows from where they
/// stopped), so a decode step may split a group over threads by head, or share a prefix between
/// sequences, without changing a bit. The softmax is <see cref="FastExp"/>'s exp and sum in one pass (lane by
/// lane from the row's start, not TensorPrimitives.Sum, whose order follows the address of a long row). The vector path takes 512-bit vectors where the
/// head width is a multiple of 16 (up to 128), else 256-bit ones (AVX2 and FMA) where it is a multiple of 8
/// (GroupAttention.Vector256.cs); other widths and machines take each head alone through
/// <see cref="MatVec"/> and TensorPrimitives. <see cref="Scalar"/> is the plain loop, the reference
/// both are tested against.
/// </remarks>
public static unsafe partial class GroupAttention
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
        Span<AttentionRow> one = stackalloc AttentionRow[1];
        one[0] = new AttentionRow(0, 0, length, 0, 0);
        Run(q, ldq, heads, keys, values, 0, 0, one, headDim, scale, probs, ldp, y, ldy);
    }

    /// <summary>
    /// <see cref="Decode"/> for several sequences at once whose first <paramref name="shared"/>
    /// positions are the same cached rows (at <paramref name="sharedAt"/> in keys and values): those
    /// rows are read once for the queries of every sequence, then each sequence attends on over its
    /// own rows (<see cref="AttentionRow.Cache"/>) up to its length. Each sequence gets the bits it
    /// gets from <see cref="Decode"/> over a private copy of all its rows.
    /// </summary>
    /// <param name="q">The queries of all the sequences.</param>
    /// <param name="ldq">Stride between the query heads of one sequence.</param>
    /// <param name="heads">Query heads per sequence (at least 1).</param>
    /// <param name="keys">The cached keys of the shared rows and of every sequence's own rows.</param>
    /// <param name="values">The cached values, laid out as the keys.</param>
    /// <param name="sharedAt">Offset of shared position 0 in keys and values.</param>
    /// <param name="shared">Shared positions (0: none, every sequence reads only its own rows).</param>
    /// <param name="rows">The sequences (at least one).</param>
    /// <param name="headDim">Width of a head.</param>
    /// <param name="scale">Score scale (1/√headDim).</param>
    /// <param name="probs">Out: every head's probabilities over its sequence's length.</param>
    /// <param name="ldp">Stride between the probability rows of one sequence's heads (at least the longest length).</param>
    /// <param name="y">Out: every head's output.</param>
    /// <param name="ldy">Stride between the output rows of one sequence's heads.</param>
    public static void DecodeShared(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int sharedAt, int shared,
        ReadOnlySpan<AttentionRow> rows, int headDim, float scale, Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        CheckShared(q.Length, ldq, heads, keys.Length, values.Length, sharedAt, shared, rows, headDim, probs.Length, ldp, y.Length, ldy);
        Run(q, ldq, heads, keys, values, sharedAt, shared, rows, headDim, scale, probs, ldp, y, ldy);
    }

    private static void Run(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int sharedAt, int shared,
        ReadOnlySpan<AttentionRow> rows, int headDim, float scale, Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        if (Vector512.IsHardwareAccelerated && headDim % 16 == 0 && headDim <= 16 * MaxBlocks)
            Vector(q, ldq, heads, keys, values, sharedAt, shared, rows, headDim, scale, probs, ldp, y, ldy);
        else if (Vector256Fits(headDim))
            Vector256Path(q, ldq, heads, keys, values, sharedAt, shared, rows, headDim, scale, probs, ldp, y, ldy);
        else Fallback(q, ldq, heads, keys, values, sharedAt, shared, rows, headDim, scale, probs, ldp, y, ldy);
    }

    // Other widths or hardware: each head on its own, the scores by MatVec (keys as its matrix), p·V row by row (TensorPrimitives).
    private static void Fallback(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int sharedAt, int shared,
        ReadOnlySpan<AttentionRow> rows, int headDim, float scale, Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        foreach (var row in rows)
        {
            int length = row.Length;
            for (int h = 0; h < heads; h++)
            {
                var p = probs.Slice(row.Probs + h * ldp, length);
                var qh = q.Slice(row.Query + h * ldq, headDim);
                if (shared > 0) MatVec.F32(keys[sharedAt..], headDim, qh, headDim, 1, p, length, 0, shared);
                if (length > shared) MatVec.F32(keys[row.Cache..], headDim, qh, headDim, 1, p, length, shared, length);
                TensorPrimitives.Multiply(p, scale, p);
                Softmax(p);
                var yh = y.Slice(row.Output + h * ldy, headDim);
                yh.Clear();
                for (int j = 0; j < length; j++)
                    TensorPrimitives.MultiplyAdd(values.Slice((j < shared ? sharedAt : row.Cache) + j * headDim, headDim), p[j], yh, yh);
            }
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

    private static void CheckShared(int qLength, int ldq, int heads, int keysLength, int valuesLength, int sharedAt, int shared, ReadOnlySpan<AttentionRow> rows,
        int headDim, int probsLength, int ldp, int yLength, int ldy)
    {
        if (heads < 1 || headDim < 1 || rows.IsEmpty) throw new ArgumentException("a call needs at least one sequence, one head and a positive head width");
        if (ldq < headDim || ldy < headDim) throw new ArgumentException("ldq and ldy must be at least the head width");
        long cache = Math.Min(keysLength, valuesLength);
        if (shared < 0 || sharedAt < 0 || sharedAt + (long)shared * headDim > cache) throw new ArgumentException("keys or values hold fewer than the shared rows");
        foreach (var r in rows)
        {
            if (r.Length < 1 || r.Length < shared) throw new ArgumentException($"a sequence of length {r.Length} cannot hold {shared} shared positions");
            if (r.Query < 0 || r.Query + (long)(heads - 1) * ldq + headDim > qLength) throw new ArgumentException("q is too short for the heads");
            if (r.Cache < 0 || r.Cache + (long)r.Length * headDim > cache) throw new ArgumentException("keys or values hold fewer than a sequence's rows");
            if (ldp < r.Length || r.Probs < 0 || r.Probs + (long)(heads - 1) * ldp + r.Length > probsLength) throw new ArgumentException("probs is too short");
            if (r.Output < 0 || r.Output + (long)(heads - 1) * ldy + headDim > yLength) throw new ArgumentException("y is too short for the heads");
        }
    }

    // Max-subtracted exp and its sum in one pass (FastExp: float32 throughout, where TensorPrimitives.Exp
    // computes in float64 at several times the cost, and its sum runs lane by lane from the row's start, so the
    // same wherever the row lies), then the normalisation: three passes over the row instead of five.
    private static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        float sum = FastExp.ExpShiftedSum(x, max, x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    private static void Vector(ReadOnlySpan<float> q, int ldq, int heads, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int sharedAt, int shared,
        ReadOnlySpan<AttentionRow> rows, int headDim, float scale, Span<float> probs, int ldp, Span<float> y, int ldy)
    {
        int blocks = headDim / 16, total = rows.Length * heads;
        float** pr = stackalloc float*[HeadsPerPass];
        float** yr = stackalloc float*[HeadsPerPass];
        fixed (float* qp = q, kp = keys, vp = values, pp = probs, yp = y)
        fixed (AttentionRow* rp = rows)
        {
            // Scores: the shared rows a stretch of keys at a time, every query of the call against the stretch while it is in L1,
            // then each sequence's own rows for its heads. A score is the same bits whichever tile or call it falls in.
            // The cache is cold (a step streams every layer's weights between two visits), so while a stretch of shared keys
            // is scored, a share per query, the next stretch of keys is fetched into L1 and the rest of what the call reads
            // (own keys, shared values, own values) into L2 (PrefetchToL2): the memory reads overlap the arithmetic of the
            // shared scores instead of taking turns with the own rows' arithmetic, which is too little to hide them.
            float* pad = stackalloc float[KeysPerTile * MaxBlocks * 16];
            int width = headDim;
            // Only calls over a shared prefix prefetch: their scores of the shared keys give the time to fetch everything
            // else; a sequence alone (a few queries per key) leaves the stream to the hardware prefetcher, which keeps up.
            long lines = shared > 0 ? LinesAfterSharedKeys(rp, rows.Length, shared, width) : 0;
            int parts = (shared + KeysPerL1 - 1) / KeysPerL1 * total;
            if (shared > 0) PrefetchPart(kp + sharedAt, 0, Math.Min(shared, KeysPerL1) * width, 0, 1, l2: false);
            for (int j = 0; j < shared; j += KeysPerL1)
            {
                int je = Math.Min(shared, j + KeysPerL1);
                int nf = (Math.Min(shared, je + KeysPerL1) - je) * width;
                float* nk = je < shared ? kp + sharedAt + (nint)je * width : OwnStretch(rp, rows.Length, 0, shared, kp, width, out nf);
                // Two queries at a time (the pair tile loads each key block once for both), the last one alone.
                for (int t = 0; t < total; t += t + 1 < total ? 2 : 1)
                {
                    bool pair = t + 1 < total;
                    for (int u = t; u <= (pair ? t + 1 : t); u++)
                    {
                        PrefetchPart(nk, 0, nf, u, total, l2: false);
                        PrefetchToL2(rp, rows.Length, shared, kp, vp + sharedAt, vp, width, lines, (j / KeysPerL1) * total + u, parts);
                    }
                    var r = rp[t / heads];
                    int h = t % heads;
                    float* qa = qp + r.Query + h * ldq, pa = pp + r.Probs + h * ldp;
                    if (!pair)
                    {
                        ScoreRows(kp + sharedAt, j, je, blocks, qa, pa, scale, pad);
                        continue;
                    }
                    var r2 = rp[(t + 1) / heads];
                    int h2 = (t + 1) % heads;
                    ScorePairRows(kp + sharedAt, j, je, blocks, qa, qp + r2.Query + h2 * ldq, pa, pp + r2.Probs + h2 * ldp, scale, pad);
                }
            }
            for (int m = 0; m < rows.Length; m++)
            {
                var r = rp[m];
                for (int j = shared; j < r.Length; j += KeysPerL1)
                {
                    int je = Math.Min(r.Length, j + KeysPerL1);
                    int nf = (Math.Min(r.Length, je + KeysPerL1) - je) * width;
                    float* nk = je < r.Length ? kp + r.Cache + (nint)je * width : OwnStretch(rp, rows.Length, m + 1, shared, kp, width, out nf);
                    for (int h = 0; h < heads; h += h + 1 < heads ? 2 : 1)
                    {
                        bool pair = h + 1 < heads;
                        if (shared > 0)
                            for (int u = h; u <= (pair ? h + 1 : h); u++) PrefetchPart(nk, 0, nf, u, heads, l2: false);
                        float* qa = qp + r.Query + h * ldq, pa = pp + r.Probs + h * ldp;
                        if (pair) ScorePairRows(kp + r.Cache, j, je, blocks, qa, qa + ldq, pa, pa + ldp, scale, pad);
                        else ScoreRows(kp + r.Cache, j, je, blocks, qa, pa, scale, pad);
                    }
                }
            }
            for (int m = 0; m < rows.Length; m++)
                for (int h = 0; h < heads; h++) Softmax(new Span<float>(pp + rp[m].Probs + h * ldp, rp[m].Length));
            // p·V over the shared rows (panels of up to four blocks × up to four queries of any sequences), then on over
            // each sequence's own rows, its accumulators reloaded from where the shared rows left them.
            if (shared > 0)
                for (int t0 = 0; t0 < total; t0 += HeadsPerPass)
                {
                    int nq = Math.Min(HeadsPerPass, total - t0);
                    for (int t = 0; t < nq; t++)
                    {
                        var r = rp[(t0 + t) / heads];
                        int h = (t0 + t) % heads;
                        pr[t] = pp + r.Probs + h * ldp;
                        yr[t] = yp + r.Output + h * ldy;
                    }
                    Panels(vp + sharedAt, 0, shared, headDim, blocks, nq, pr, yr, load: false);
                }
            for (int m = 0; m < rows.Length; m++)
            {
                var r = rp[m];
                if (r.Length == shared) continue;
                for (int h0 = 0; h0 < heads; h0 += HeadsPerPass)
                {
                    int nh = Math.Min(HeadsPerPass, heads - h0);
                    for (int t = 0; t < nh; t++)
                    {
                        pr[t] = pp + r.Probs + (h0 + t) * ldp;
                        yr[t] = yp + r.Output + (h0 + t) * ldy;
                    }
                    Panels(vp + r.Cache, shared, r.Length, headDim, blocks, nh, pr, yr, load: shared > 0);
                }
            }
        }
    }

    // Keys one score tile takes, and keys a pass of all the queries goes through while they stay in L1 (16 KB at width 64).
    private const int KeysPerTile = 16, KeysPerL1 = 64;

    // p[j] = scale · (K[j]·q) for key rows [j0, j1) at k + j·headDim, sixteen keys at a time (the last few from a copy in pad).
    private static void ScoreRows(float* k, int j0, int j1, int blocks, float* q, float* p, float scale, float* pad)
    {
        switch (blocks)
        {
            case 1: ScoreRows<N1>(k, j0, j1, q, p, scale, pad); break;
            case 2: ScoreRows<N2>(k, j0, j1, q, p, scale, pad); break;
            case 3: ScoreRows<N3>(k, j0, j1, q, p, scale, pad); break;
            case 4: ScoreRows<N4>(k, j0, j1, q, p, scale, pad); break;
            case 5: ScoreRows<N5>(k, j0, j1, q, p, scale, pad); break;
            case 6: ScoreRows<N6>(k, j0, j1, q, p, scale, pad); break;
            case 7: ScoreRows<N7>(k, j0, j1, q, p, scale, pad); break;
            case 8: ScoreRows<N8>(k, j0, j1, q, p, scale, pad); break;
            default: throw new ArgumentOutOfRangeException(nameof(blocks));
        }
    }

    private static void ScoreRows<TB>(float* k, int j0, int j1, float* q, float* p, float scale, float* pad) where TB : struct, ICount
    {
        int width = TB.Count * 16, j = j0;
        for (; j + KeysPerTile <= j1; j += KeysPerTile) ScoreTile<TB>(k + (nint)j * width, q, p + j, scale, KeysPerTile);
        if (j == j1) return;
        // The last few keys from a copy: rows past them are never read from the cache, and the tile's lanes
        // never mix scores, so whatever the copy's other rows hold stays in lanes that are not stored.
        Buffer.MemoryCopy(k + (nint)j * width, pad, (long)KeysPerTile * width * sizeof(float), (long)(j1 - j) * width * sizeof(float));
        ScoreTile<TB>(pad, q, p + j, scale, j1 - j);
    }

    // Sixteen scores: key i's dot product with q is block 0's product then FMAs in block order, in the lanes of
    // accumulator i; the sixteen accumulators are then reduced together, each score by the same tree of lane sums
    // (lanes 8 apart, then 4, 2 and 1) whatever the other fifteen hold, and scaled.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreTile<TB>(float* k, float* q, float* p, float scale, int count) where TB : struct, ICount
    {
        int w = TB.Count * 16;
        var q0 = Vector512.Load(q);
        var q1 = TB.Count > 1 ? Vector512.Load(q + 16) : default;
        var q2 = TB.Count > 2 ? Vector512.Load(q + 32) : default;
        var q3 = TB.Count > 3 ? Vector512.Load(q + 48) : default;
        var q4 = TB.Count > 4 ? Vector512.Load(q + 64) : default;
        var q5 = TB.Count > 5 ? Vector512.Load(q + 80) : default;
        var q6 = TB.Count > 6 ? Vector512.Load(q + 96) : default;
        var q7 = TB.Count > 7 ? Vector512.Load(q + 112) : default;
        var a0 = Vector512.Load(k + 0 * w) * q0;
        var a1 = Vector512.Load(k + 1 * w) * q0;
        var a2 = Vector512.Load(k + 2 * w) * q0;
        var a3 = Vector512.Load(k + 3 * w) * q0;
        var a4 = Vector512.Load(k + 4 * w) * q0;
        var a5 = Vector512.Load(k + 5 * w) * q0;
        var a6 = Vector512.Load(k + 6 * w) * q0;
        var a7 = Vector512.Load(k + 7 * w) * q0;
        var a8 = Vector512.Load(k + 8 * w) * q0;
        var a9 = Vector512.Load(k + 9 * w) * q0;
        var a10 = Vector512.Load(k + 10 * w) * q0;
        var a11 = Vector512.Load(k + 11 * w) * q0;
        var a12 = Vector512.Load(k + 12 * w) * q0;
        var a13 = Vector512.Load(k + 13 * w) * q0;
        var a14 = Vector512.Load(k + 14 * w) * q0;
        var a15 = Vector512.Load(k + 15 * w) * q0;
        if (TB.Count > 1)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 16), q1, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 16), q1, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 16), q1, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 16), q1, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 16), q1, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 16), q1, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 16), q1, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 16), q1, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 16), q1, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 16), q1, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 16), q1, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 16), q1, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 16), q1, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 16), q1, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 16), q1, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 16), q1, a15);
        }
        if (TB.Count > 2)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 32), q2, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 32), q2, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 32), q2, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 32), q2, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 32), q2, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 32), q2, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 32), q2, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 32), q2, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 32), q2, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 32), q2, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 32), q2, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 32), q2, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 32), q2, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 32), q2, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 32), q2, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 32), q2, a15);
        }
        if (TB.Count > 3)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 48), q3, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 48), q3, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 48), q3, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 48), q3, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 48), q3, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 48), q3, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 48), q3, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 48), q3, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 48), q3, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 48), q3, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 48), q3, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 48), q3, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 48), q3, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 48), q3, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 48), q3, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 48), q3, a15);
        }
        if (TB.Count > 4)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 64), q4, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 64), q4, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 64), q4, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 64), q4, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 64), q4, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 64), q4, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 64), q4, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 64), q4, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 64), q4, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 64), q4, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 64), q4, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 64), q4, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 64), q4, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 64), q4, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 64), q4, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 64), q4, a15);
        }
        if (TB.Count > 5)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 80), q5, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 80), q5, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 80), q5, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 80), q5, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 80), q5, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 80), q5, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 80), q5, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 80), q5, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 80), q5, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 80), q5, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 80), q5, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 80), q5, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 80), q5, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 80), q5, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 80), q5, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 80), q5, a15);
        }
        if (TB.Count > 6)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 96), q6, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 96), q6, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 96), q6, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 96), q6, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 96), q6, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 96), q6, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 96), q6, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 96), q6, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 96), q6, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 96), q6, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 96), q6, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 96), q6, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 96), q6, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 96), q6, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 96), q6, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 96), q6, a15);
        }
        if (TB.Count > 7)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 0 * w + 112), q7, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 1 * w + 112), q7, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 2 * w + 112), q7, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 3 * w + 112), q7, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 4 * w + 112), q7, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 5 * w + 112), q7, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 6 * w + 112), q7, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 7 * w + 112), q7, a7);
            a8 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 8 * w + 112), q7, a8);
            a9 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 9 * w + 112), q7, a9);
            a10 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 10 * w + 112), q7, a10);
            a11 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 11 * w + 112), q7, a11);
            a12 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 12 * w + 112), q7, a12);
            a13 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 13 * w + 112), q7, a13);
            a14 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 14 * w + 112), q7, a14);
            a15 = Vector512.FusedMultiplyAdd(Vector512.Load(k + 15 * w + 112), q7, a15);
        }
        var scores = Reduce16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) * scale;
        if (count == KeysPerTile)
        {
            scores.Store(p);
            return;
        }
        for (int i = 0; i < count; i++) p[i] = scores.GetElement(i);
    }

    // Sixteen accumulators to their sixteen lane sums, in order: each sum by one fixed tree (lanes 8 apart, then 4, 2
    // and 1), whatever the other accumulators hold, so a score has the same bits in every tile that reduces it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce16(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, Vector512<float> a4,
        Vector512<float> a5, Vector512<float> a6, Vector512<float> a7, Vector512<float> a8, Vector512<float> a9, Vector512<float> a10,
        Vector512<float> a11, Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        var z0 = Avx512F.Shuffle4x128(a0, a1, 0x44) + Avx512F.Shuffle4x128(a0, a1, 0xEE);
        var z1 = Avx512F.Shuffle4x128(a2, a3, 0x44) + Avx512F.Shuffle4x128(a2, a3, 0xEE);
        var z2 = Avx512F.Shuffle4x128(a4, a5, 0x44) + Avx512F.Shuffle4x128(a4, a5, 0xEE);
        var z3 = Avx512F.Shuffle4x128(a6, a7, 0x44) + Avx512F.Shuffle4x128(a6, a7, 0xEE);
        var z4 = Avx512F.Shuffle4x128(a8, a9, 0x44) + Avx512F.Shuffle4x128(a8, a9, 0xEE);
        var z5 = Avx512F.Shuffle4x128(a10, a11, 0x44) + Avx512F.Shuffle4x128(a10, a11, 0xEE);
        var z6 = Avx512F.Shuffle4x128(a12, a13, 0x44) + Avx512F.Shuffle4x128(a12, a13, 0xEE);
        var z7 = Avx512F.Shuffle4x128(a14, a15, 0x44) + Avx512F.Shuffle4x128(a14, a15, 0xEE);
        var t0 = Avx512F.Shuffle4x128(z0, z1, 0x88) + Avx512F.Shuffle4x128(z0, z1, 0xDD);
        var t1 = Avx512F.Shuffle4x128(z2, z3, 0x88) + Avx512F.Shuffle4x128(z2, z3, 0xDD);
        var t2 = Avx512F.Shuffle4x128(z4, z5, 0x88) + Avx512F.Shuffle4x128(z4, z5, 0xDD);
        var t3 = Avx512F.Shuffle4x128(z6, z7, 0x88) + Avx512F.Shuffle4x128(z6, z7, 0xDD);
        var r0 = Avx512F.Shuffle(t0, t1, 0x44) + Avx512F.Shuffle(t0, t1, 0xEE);
        var r1 = Avx512F.Shuffle(t2, t3, 0x44) + Avx512F.Shuffle(t2, t3, 0xEE);
        var sums = Avx512F.Shuffle(r0, r1, 0x88) + Avx512F.Shuffle(r0, r1, 0xDD); // lane L holds score (L % 4)·4 + L / 4
        return Avx512F.PermuteVar16x32(sums, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }

    // pa[j] = scale · (K[j]·qa) and pb[j] = scale · (K[j]·qb) for key rows [j0, j1): ScoreRows for two queries at once,
    // eight keys a tile, each key block loaded once for both (16 accumulators and the two queries' current block in
    // registers). Every score has ScoreRows' bits: the same products, FMAs and reduction tree.
    private static void ScorePairRows(float* k, int j0, int j1, int blocks, float* qa, float* qb, float* pa, float* pb, float scale, float* pad)
    {
        switch (blocks)
        {
            case 1: ScorePairRows<N1>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 2: ScorePairRows<N2>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 3: ScorePairRows<N3>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 4: ScorePairRows<N4>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 5: ScorePairRows<N5>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 6: ScorePairRows<N6>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 7: ScorePairRows<N7>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            case 8: ScorePairRows<N8>(k, j0, j1, qa, qb, pa, pb, scale, pad); break;
            default: throw new ArgumentOutOfRangeException(nameof(blocks));
        }
    }

    private static void ScorePairRows<TB>(float* k, int j0, int j1, float* qa, float* qb, float* pa, float* pb, float scale, float* pad) where TB : struct, ICount
    {
        int width = TB.Count * 16, j = j0;
        for (; j + PairKeys <= j1; j += PairKeys) ScorePairTile<TB>(k + (nint)j * width, qa, qb, pa + j, pb + j, scale, PairKeys);
        if (j == j1) return;
        Buffer.MemoryCopy(k + (nint)j * width, pad, (long)PairKeys * width * sizeof(float), (long)(j1 - j) * width * sizeof(float));
        ScorePairTile<TB>(pad, qa, qb, pa + j, pb + j, scale, j1 - j);
    }

    // Keys a pair tile takes.
    private const int PairKeys = 8;

    // Accumulators 0-7 hold query a's products with keys 0-7, 8-15 query b's; Reduce16 gives the sixteen scores in that order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScorePairTile<TB>(float* k, float* qa, float* qb, float* pa, float* pb, float scale, int count) where TB : struct, ICount
    {
        int w = TB.Count * 16;
        Vector512<float> a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7;
        {
            var x = Vector512.Load(qa);
            var y = Vector512.Load(qb);
            Vector512<float> v;
            v = Vector512.Load(k + 0 * w); a0 = v * x; b0 = v * y;
            v = Vector512.Load(k + 1 * w); a1 = v * x; b1 = v * y;
            v = Vector512.Load(k + 2 * w); a2 = v * x; b2 = v * y;
            v = Vector512.Load(k + 3 * w); a3 = v * x; b3 = v * y;
            v = Vector512.Load(k + 4 * w); a4 = v * x; b4 = v * y;
            v = Vector512.Load(k + 5 * w); a5 = v * x; b5 = v * y;
            v = Vector512.Load(k + 6 * w); a6 = v * x; b6 = v * y;
            v = Vector512.Load(k + 7 * w); a7 = v * x; b7 = v * y;
        }
        for (int c = 16; c < w; c += 16)
        {
            var x = Vector512.Load(qa + c);
            var y = Vector512.Load(qb + c);
            Vector512<float> v;
            v = Vector512.Load(k + 0 * w + c); a0 = Vector512.FusedMultiplyAdd(v, x, a0); b0 = Vector512.FusedMultiplyAdd(v, y, b0);
            v = Vector512.Load(k + 1 * w + c); a1 = Vector512.FusedMultiplyAdd(v, x, a1); b1 = Vector512.FusedMultiplyAdd(v, y, b1);
            v = Vector512.Load(k + 2 * w + c); a2 = Vector512.FusedMultiplyAdd(v, x, a2); b2 = Vector512.FusedMultiplyAdd(v, y, b2);
            v = Vector512.Load(k + 3 * w + c); a3 = Vector512.FusedMultiplyAdd(v, x, a3); b3 = Vector512.FusedMultiplyAdd(v, y, b3);
            v = Vector512.Load(k + 4 * w + c); a4 = Vector512.FusedMultiplyAdd(v, x, a4); b4 = Vector512.FusedMultiplyAdd(v, y, b4);
            v = Vector512.Load(k + 5 * w + c); a5 = Vector512.FusedMultiplyAdd(v, x, a5); b5 = Vector512.FusedMultiplyAdd(v, y, b5);
            v = Vector512.Load(k + 6 * w + c); a6 = Vector512.FusedMultiplyAdd(v, x, a6); b6 = Vector512.FusedMultiplyAdd(v, y, b6);
            v = Vector512.Load(k + 7 * w + c); a7 = Vector512.FusedMultiplyAdd(v, x, a7); b7 = Vector512.FusedMultiplyAdd(v, y, b7);
        }
        var scores = Reduce16(a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7) * scale;
        if (count == PairKeys)
        {
            scores.GetLower().Store(pa);
            scores.GetUpper().Store(pb);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            pa[i] = scores.GetElement(i);
            pb[i] = scores.GetElement(PairKeys + i);
        }
    }

    // y[t] (+)= Σ_j p[t][j]·V[j] over value rows [j0, j1) at v + j·headDim, for nq queries, in panels of up to four blocks.
    private static void Panels(float* v, int j0, int j1, int headDim, int blocks, int nq, float** p, float** y, bool load)
    {
        for (int b0 = 0; b0 < blocks; b0 += 4)
        {
            int nb = Math.Min(4, blocks - b0);
            float* vb = v + b0 * 16;
            int col = b0 * 16;
            switch (nq * 4 + nb)
            {
                case 5: Panel<N1, N1>(vb, j0, j1, headDim, p, y, col, load); break;
                case 6: Panel<N1, N2>(vb, j0, j1, headDim, p, y, col, load); break;
                case 7: Panel<N1, N3>(vb, j0, j1, headDim, p, y, col, load); break;
                case 8: Panel<N1, N4>(vb, j0, j1, headDim, p, y, col, load); break;
                case 9: Panel<N2, N1>(vb, j0, j1, headDim, p, y, col, load); break;
                case 10: Panel<N2, N2>(vb, j0, j1, headDim, p, y, col, load); break;
                case 11: Panel<N2, N3>(vb, j0, j1, headDim, p, y, col, load); break;
                case 12: Panel<N2, N4>(vb, j0, j1, headDim, p, y, col, load); break;
                case 13: Panel<N3, N1>(vb, j0, j1, headDim, p, y, col, load); break;
                case 14: Panel<N3, N2>(vb, j0, j1, headDim, p, y, col, load); break;
                case 15: Panel<N3, N3>(vb, j0, j1, headDim, p, y, col, load); break;
                case 16: Panel<N3, N4>(vb, j0, j1, headDim, p, y, col, load); break;
                case 17: Panel<N4, N1>(vb, j0, j1, headDim, p, y, col, load); break;
                case 18: Panel<N4, N2>(vb, j0, j1, headDim, p, y, col, load); break;
                case 19: Panel<N4, N3>(vb, j0, j1, headDim, p, y, col, load); break;
                default: Panel<N4, N4>(vb, j0, j1, headDim, p, y, col, load); break;
            }
        }
    }

    // y[t][col .. col + 16·TB) (+)= Σ_j p[t][j]·V[j, 0 .. 16·TB) for TH queries, j in order, one FMA chain per (query, block),
    // started from zero or (load) from the values y holds, which a store and a load keep exactly.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Panel<TH, TB>(float* v, int j0, int j1, int headDim, float** p, float** y, int col, bool load)
        where TH : struct, ICount where TB : struct, ICount
    {
        float* p0 = p[0], p1 = TH.Count > 1 ? p[1] : null, p2 = TH.Count > 2 ? p[2] : null, p3 = TH.Count > 3 ? p[3] : null;
        float* y0 = y[0] + col, y1 = TH.Count > 1 ? y[1] + col : null, y2 = TH.Count > 2 ? y[2] + col : null, y3 = TH.Count > 3 ? y[3] + col : null;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        if (load)
        {
            a00 = Vector512.Load(y0 + 0);
            if (TB.Count > 1) a01 = Vector512.Load(y0 + 16);
            if (TB.Count > 2) a02 = Vector512.Load(y0 + 32);
            if (TB.Count > 3) a03 = Vector512.Load(y0 + 48);
            if (TH.Count > 1) a10 = Vector512.Load(y1 + 0);
            if (TH.Count > 1 && TB.Count > 1) a11 = Vector512.Load(y1 + 16);
            if (TH.Count > 1 && TB.Count > 2) a12 = Vector512.Load(y1 + 32);
            if (TH.Count > 1 && TB.Count > 3) a13 = Vector512.Load(y1 + 48);
            if (TH.Count > 2) a20 = Vector512.Load(y2 + 0);
            if (TH.Count > 2 && TB.Count > 1) a21 = Vector512.Load(y2 + 16);
            if (TH.Count > 2 && TB.Count > 2) a22 = Vector512.Load(y2 + 32);
            if (TH.Count > 2 && TB.Count > 3) a23 = Vector512.Load(y2 + 48);
            if (TH.Count > 3) a30 = Vector512.Load(y3 + 0);
            if (TH.Count > 3 && TB.Count > 1) a31 = Vector512.Load(y3 + 16);
            if (TH.Count > 3 && TB.Count > 2) a32 = Vector512.Load(y3 + 32);
            if (TH.Count > 3 && TB.Count > 3) a33 = Vector512.Load(y3 + 48);
        }
        for (int j = j0; j < j1; j++)
        {
            float* vj = v + (nint)j * headDim;
            Prefetch(vj + PrefetchRows * headDim, 16 * TB.Count);
            var v0 = Vector512.Load(vj);
            var v1 = TB.Count > 1 ? Vector512.Load(vj + 16) : default;
            var v2 = TB.Count > 2 ? Vector512.Load(vj + 32) : default;
            var v3 = TB.Count > 3 ? Vector512.Load(vj + 48) : default;
            var q0 = Vector512.Create(p0[j]);
            a00 = Vector512.FusedMultiplyAdd(q0, v0, a00);
            if (TB.Count > 1) a01 = Vector512.FusedMultiplyAdd(q0, v1, a01);
            if (TB.Count > 2) a02 = Vector512.FusedMultiplyAdd(q0, v2, a02);
            if (TB.Count > 3) a03 = Vector512.FusedMultiplyAdd(q0, v3, a03);
            if (TH.Count > 1)
            {
                var q1 = Vector512.Create(p1[j]);
                a10 = Vector512.FusedMultiplyAdd(q1, v0, a10);
                if (TB.Count > 1) a11 = Vector512.FusedMultiplyAdd(q1, v1, a11);
                if (TB.Count > 2) a12 = Vector512.FusedMultiplyAdd(q1, v2, a12);
                if (TB.Count > 3) a13 = Vector512.FusedMultiplyAdd(q1, v3, a13);
            }
            if (TH.Count > 2)
            {
                var q2 = Vector512.Create(p2[j]);
                a20 = Vector512.FusedMultiplyAdd(q2, v0, a20);
                if (TB.Count > 1) a21 = Vector512.FusedMultiplyAdd(q2, v1, a21);
                if (TB.Count > 2) a22 = Vector512.FusedMultiplyAdd(q2, v2, a22);
                if (TB.Count > 3) a23 = Vector512.FusedMultiplyAdd(q2, v3, a23);
            }
            if (TH.Count > 3)
            {
                var q3 = Vector512.Create(p3[j]);
                a30 = Vector512.FusedMultiplyAdd(q3, v0, a30);
                if (TB.Count > 1) a31 = Vector512.FusedMultiplyAdd(q3, v1, a31);
                if (TB.Count > 2) a32 = Vector512.FusedMultiplyAdd(q3, v2, a32);
                if (TB.Count > 3) a33 = Vector512.FusedMultiplyAdd(q3, v3, a33);
            }
        }
        a00.Store(y0 + 0);
        if (TB.Count > 1) a01.Store(y0 + 16);
        if (TB.Count > 2) a02.Store(y0 + 32);
        if (TB.Count > 3) a03.Store(y0 + 48);
        if (TH.Count > 1) a10.Store(y1 + 0);
        if (TH.Count > 1 && TB.Count > 1) a11.Store(y1 + 16);
        if (TH.Count > 1 && TB.Count > 2) a12.Store(y1 + 32);
        if (TH.Count > 1 && TB.Count > 3) a13.Store(y1 + 48);
        if (TH.Count > 2) a20.Store(y2 + 0);
        if (TH.Count > 2 && TB.Count > 1) a21.Store(y2 + 16);
        if (TH.Count > 2 && TB.Count > 2) a22.Store(y2 + 32);
        if (TH.Count > 2 && TB.Count > 3) a23.Store(y2 + 48);
        if (TH.Count > 3) a30.Store(y3 + 0);
        if (TH.Count > 3 && TB.Count > 1) a31.Store(y3 + 16);
        if (TH.Count > 3 && TB.Count > 2) a32.Store(y3 + 32);
        if (TH.Count > 3 && TB.Count > 3) a33.Store(y3 + 48);
    }

    // The first stretch of keys of the first sequence from m on that owns rows past the shared ones (null when none does).
    private static float* OwnStretch(AttentionRow* rp, int count, int m, int shared, float* kp, int width, out int floats)
    {
        for (; m < count; m++)
            if (rp[m].Length > shared)
            {
                floats = (Math.Min(rp[m].Length, shared + KeysPerL1) - shared) * width;
                return kp + rp[m].Cache + (nint)shared * width;
            }
        floats = 0;
        return null;
    }

    // Part `part` of `parts` of everything the call reads after the shared keys, into L2 while the shared keys are
    // scored (their arithmetic is most of the call's): every sequence's own keys (scored next), the shared values,
    // then every sequence's own values, in the order p·V reads them.
    // (The call is made once per stretch and query, so the count of lines, LinesAfterSharedKeys, is found once per call.)
    private static void PrefetchToL2(AttentionRow* rp, int count, int shared, float* kp, float* sharedValues, float* vp, int width, long lines, int part, int parts)
    {
        if (!Sse.IsSupported) return;
        long a = lines * part / parts, b = lines * (part + 1) / parts;
        // Regions in order: own keys of each sequence, the shared values, own values of each sequence.
        for (int region = 0; region < 2 * count + 1 && a < b; region++)
        {
            float* p;
            long floats;
            if (region == count)
            {
                p = sharedValues;
                floats = (long)shared * width;
            }
            else
            {
                var r = rp[region < count ? region : region - count - 1];
                p = (region < count ? kp : vp) + r.Cache + (nint)shared * width;
                floats = (long)(r.Length - shared) * width;
            }
            long n = (floats + 15) / 16;
            if (a < n)
            {
                long e = Math.Min(b, n);
                for (long i = a; i < e; i++) Sse.Prefetch1((byte*)p + 64 * i);
                a = e;
            }
            a -= n;
            b -= n;
        }
    }

    // The cache lines PrefetchToL2 divides into parts: the shared values and every sequence's own keys and values.
    private static long LinesAfterSharedKeys(AttentionRow* rp, int count, int shared, int width)
    {
        long lines = (long)shared * width / 16;
        for (int m = 0; m < count; m++) lines += 2L * (((long)(rp[m].Length - shared) * width + 15) / 16);
        return lines;
    }

    // Part `part` of `parts` of the cache lines of floats [f0, f1) at p, into L1 (or only L2): a hint, harmless past the rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchPart(float* p, int f0, int f1, int part, int parts, bool l2)
    {
        if (!Sse.IsSupported || f1 <= f0) return;
        int lines = (f1 - f0 + 15) / 16;
        int a = (int)((long)lines * part / parts), b = (int)((long)lines * (part + 1) / parts);
        byte* first = (byte*)(p + f0);
        for (int i = a; i < b; i++)
        {
            if (l2) Sse.Prefetch1(first + 64 * i);
            else Sse.Prefetch0(first + 64 * i);
        }
    }

    // Cache rows ahead (4 KB of a 64-wide head) that the loops prefetch, so that the next rows' memory
    // reads overlap this row's FMAs rather than taking turns with them.
    private const int PrefetchRows = 16;

    // Every cache line of `floats` floats at p (a hint: an address past the rows is harmless).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* p, int floats)
    {
        if (!Sse.IsSupported) return;
        byte* b = (byte*)p;
        for (int i = 0; i < floats; i += 16) Sse.Prefetch0(b + 4 * i);
    }
}
