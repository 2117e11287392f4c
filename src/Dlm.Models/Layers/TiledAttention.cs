using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Dlm.Numerics.Gemm;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Layers;

/// <summary>
/// Causal grouped-query attention over a fused row [q heads | k heads | v heads], tiled the
/// flash-attention way: query blocks meet key blocks with an online softmax, so no T×T matrix is
/// ever kept; only the log-sum-exp of each query row ([B, H, T]) is saved for the backward pass,
/// which recomputes the probabilities block by block. Key blocks past a query block's diagonal are
/// never visited (the masked upper triangle costs nothing); inside a diagonal block the masked
/// entries are exact zeros. Each block product is a GEMM of at most block × block × head_dim.
/// With attention dropout the mask of entry (i, j) of head (b, h) is draw (b·H + h)·T² + i·T + j of
/// the layer's stream, drawn on the fly in both passes (the same stream as
/// <see cref="Attention.ForwardReference"/>, the scalar reference beside this kernel).
/// </summary>
internal static class TiledAttention
{
    /// <summary>
    /// Query and key rows per block (128: a block product is 128×128×head_dim). Measured against 32 and 64
    /// (docs/engine.md, attention): smaller blocks skip more of the triangle but their products run further from the GEMM's rate.
    /// </summary>
    public const int DefaultBlock = 128;

    /// <summary>Floats of scratch one worker needs for <see cref="Forward"/> and <see cref="Backward"/> (three blocks and one row per position).</summary>
    public static int ScratchFloats(int t, int block) => 3 * block * block + Math.Max(t, 2 * block);

    /// <summary>Query blocks of a sequence of <paramref name="t"/> positions.</summary>
    public static int Blocks(int t, int block) => (t + block - 1) / block;

    /// <summary>
    /// Query block <paramref name="qb"/> of head <paramref name="h"/> of sequence <paramref name="b"/>:
    /// y = causal softmax(scale·Q·Kᵀ)·V (with dropout, (P ⊙ M)·V), y being [B, T, H·hd]; writes the
    /// rows' log-sum-exp of the scaled scores to lse ([B, H, T]).
    /// </summary>
    public static void Forward(IGemm gemm, Span<float> y, Span<float> lse, ReadOnlySpan<float> qkv, Span<float> scratch,
        int b, int h, int qb, int t, int heads, int kvHeads, int hd, int block, float dropout = 0f, ulong rngState = 0)
    {
        int width = (heads + 2 * kvHeads) * hd, g = h / (heads / kvHeads), ldy = heads * hd;
        int i0 = qb * block, rows = Math.Min(block, t - i0);
        float scale = 1f / MathF.Sqrt(hd);
        var q = qkv[((b * t + i0) * width + h * hd)..];
        var yo = y[((b * t + i0) * ldy + h * hd)..];
        var s = scratch[..(block * block)];
        var m = scratch.Slice(block * block, block);
        var l = scratch.Slice(block * block + block, block);
        m[..rows].Fill(float.NegativeInfinity);
        l[..rows].Clear();
        for (int r = 0; r < rows; r++) yo.Slice(r * ldy, hd).Clear();
        long headPos = (long)(b * heads + h) * t * t;
        int kOff = heads * hd + g * hd, vOff = (heads + kvHeads) * hd + g * hd;
        // Key blocks up to the diagonal only: the rest of the row is masked.
        for (int j0 = 0; j0 < i0 + rows; j0 += block)
        {
            int cols = Math.Min(block, i0 + rows - j0);
            var k = qkv[((b * t + j0) * width + kOff)..];
            var v = qkv[((b * t + j0) * width + vOff)..];
            gemm.Sgemm(false, true, rows, cols, hd, scale, q, width, k, width, 0f, s, block);
            for (int r = 0; r < rows; r++)
            {
                int i = i0 + r, live = Math.Min(cols, i - j0 + 1);
                var row = s.Slice(r * block, cols);
                var lv = row[..live];
                float max = MathF.Max(m[r], TensorPrimitives.Max(lv));
                float alpha = MathF.Exp(m[r] - max); // 0 on the first block (m = −∞)
                l[r] = l[r] * alpha + FastExp.ExpShiftedSum(lv, max, lv);
                m[r] = max;
                row[live..].Clear();
                if (dropout > 0f)
                {
                    var rng = new SplitMix64(rngState);
                    rng.Skip(headPos + (long)i * t + j0);
                    Dropout.ApplyDrawn(lv, dropout, ref rng);
                }
                if (j0 > 0 && alpha != 1f)
                {
                    var yr = yo.Slice(r * ldy, hd);
                    TensorPrimitives.Multiply(yr, alpha, yr);
                }
            }
            gemm.Sgemm(false, false, rows, hd, cols, 1f, s, block, v, width, 1f, yo, ldy);
        }
        var lseRow = lse.Slice((b * heads + h) * t + i0, rows);
        for (int r = 0; r < rows; r++)
        {
            var yr = yo.Slice(r * ldy, hd);
            TensorPrimitives.Multiply(yr, 1f / l[r], yr);
            lseRow[r] = m[r] + MathF.Log(l[r]);
        }
    }

    /// <summary>
    /// Accumulates into dqkv the q gradients of every query head of kv group <paramref name="g"/> of
    /// sequence <paramref name="b"/> and the group's k and v gradients (one caller owns a group: no
    /// two units write the same rows). y and lse are what <see cref="Forward"/> wrote, dy the gradient of y.
    /// </summary>
    public static void Backward(IGemm gemm, Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> lse,
        ReadOnlySpan<float> qkv, Span<float> scratch, int b, int g, int t, int heads, int kvHeads, int hd, int block,
        float dropout = 0f, ulong rngState = 0)
    {
        int width = (heads + 2 * kvHeads) * hd, group = heads / kvHeads, rowBase = b * t * width;
        for (int h = g * group; h < (g + 1) * group; h++)
            BackwardHead(gemm, dqkv, dqkv, rowBase + heads * hd + g * hd, rowBase + (heads + kvHeads) * hd + g * hd, width,
                dy, y, lse, qkv, scratch, b, h, t, heads, kvHeads, hd, block, dropout, rngState);
    }

    /// <summary>
    /// Head <paramref name="h"/> of sequence <paramref name="b"/>: accumulates its q gradient into dqkv and its
    /// contribution to the k and v gradients of its kv group into dkv at rows dkOff + i·ldkv and dvOff + i·ldkv
    /// (dqkv itself when the caller owns the group, or a per-head buffer that the caller sums in head order).
    /// </summary>
    public static void BackwardHead(IGemm gemm, Span<float> dqkv, Span<float> dkv, int dkOff, int dvOff, int ldkv,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> y, ReadOnlySpan<float> lse,
        ReadOnlySpan<float> qkv, Span<float> scratch, int b, int h, int t, int heads, int kvHeads, int hd, int block,
        float dropout = 0f, ulong rngState = 0)
    {
        int width = (heads + 2 * kvHeads) * hd, g = h / (heads / kvHeads), ldy = heads * hd, bb = block * block;
        float scale = 1f / MathF.Sqrt(hd);
        bool drop = dropout > 0f;
        var p = scratch[..bb];
        var pd = scratch.Slice(bb, bb);
        var dp = scratch.Slice(2 * bb, bb);
        var dd = scratch.Slice(3 * bb, t);
        int kOff = heads * hd + g * hd, vOff = (heads + kvHeads) * hd + g * hd;
        {
            long headPos = (long)(b * heads + h) * t * t;
            var lseHead = lse.Slice((b * heads + h) * t, t);
            // D_i = dy_i·y_i = Σ_j P_ij·dP_ij (with dropout too: y_i = Σ_j P_ij M_ij v_j and dP_ij = M_ij dy_i·v_j).
            for (int i = 0; i < t; i++)
            {
                int at = (b * t + i) * ldy + h * hd;
                dd[i] = TensorPrimitives.Dot(dy.Slice(at, hd), y.Slice(at, hd));
            }
            for (int j0 = 0; j0 < t; j0 += block)
            {
                int cols = Math.Min(block, t - j0);
                var k = qkv[((b * t + j0) * width + kOff)..];
                var v = qkv[((b * t + j0) * width + vOff)..];
                var dk = dkv[(dkOff + j0 * ldkv)..];
                var dv = dkv[(dvOff + j0 * ldkv)..];
                // Query blocks from the diagonal on: earlier ones do not see these keys.
                for (int i0 = j0; i0 < t; i0 += block)
                {
                    int rows = Math.Min(block, t - i0);
                    var q = qkv[((b * t + i0) * width + h * hd)..];
                    var dq = dqkv[((b * t + i0) * width + h * hd)..];
                    var dO = dy[((b * t + i0) * ldy + h * hd)..];
                    // P = exp(scale·Q·Kᵀ − lse), zero past the diagonal
                    gemm.Sgemm(false, true, rows, cols, hd, scale, q, width, k, width, 0f, p, block);
                    for (int r = 0; r < rows; r++)
                    {
                        int i = i0 + r, live = Math.Min(cols, i - j0 + 1);
                        var row = p.Slice(r * block, cols);
                        FastExp.ExpShifted(row[..live], lseHead[i], row[..live]);
                        row[live..].Clear();
                    }
                    // dP = dy·Vᵀ (⊙ M); dV += (P ⊙ M)ᵀ·dy
                    gemm.Sgemm(false, true, rows, cols, hd, 1f, dO, ldy, v, width, 0f, dp, block);
                    ReadOnlySpan<float> mixed = p;
                    if (drop)
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            int i = i0 + r, live = Math.Min(cols, i - j0 + 1);
                            var pr = pd.Slice(r * block, cols);
                            p.Slice(r * block, cols).CopyTo(pr);
                            var rng = new SplitMix64(rngState);
                            rng.Skip(headPos + (long)i * t + j0);
                            var again = rng;
                            Dropout.ApplyDrawn(pr[..live], dropout, ref rng);
                            Dropout.ApplyDrawn(dp.Slice(r * block, live), dropout, ref again);
                        }
                        mixed = pd;
                    }
                    gemm.Sgemm(true, false, cols, hd, rows, 1f, mixed, block, dO, ldy, 1f, dv, ldkv);
                    // dS = P ⊙ (dP − D)·scale (zero wherever P is)
                    for (int r = 0; r < rows; r++) SoftmaxGradRow(dp.Slice(r * block, cols), p.Slice(r * block, cols), dd[i0 + r], scale);
                    // S = Q·Kᵀ: dQ += dS·K, dK += dSᵀ·Q
                    gemm.Sgemm(false, false, rows, hd, cols, 1f, dp, block, k, width, 1f, dq, width);
                    gemm.Sgemm(true, false, cols, hd, rows, 1f, dp, block, q, width, 1f, dk, ldkv);
                }
            }
        }
    }

    // dr = (dr − d)·pr·scale in one pass (the three elementwise steps of the softmax backward).
    private static void SoftmaxGradRow(Span<float> dr, ReadOnlySpan<float> pr, float d, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var dv = Vector512.Create(d);
            var sv = Vector512.Create(scale);
            for (; i + 16 <= dr.Length; i += 16)
                ((Vector512.Create(dr.Slice(i, 16)) - dv) * Vector512.Create(pr.Slice(i, 16)) * sv).CopyTo(dr.Slice(i, 16));
        }
        for (; i < dr.Length; i++) dr[i] = (dr[i] - d) * pr[i] * scale;
    }
}
