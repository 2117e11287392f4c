using System.Numerics.Tensors;
using Dlm.Numerics.Gemm;

namespace Dlm.Models.Layers;

/// <summary>
/// Causal scaled-dot-product attention with grouped-query heads over a fused row
/// [q heads | k heads | v heads] (llm.c style: the softmax probabilities are kept for the
/// backward pass). <see cref="Forward"/> / <see cref="Backward"/> run one (sequence, head)
/// as GEMMs over the whole T×T square (the masked half is exact zeros); the scalar
/// <see cref="ForwardReference"/> / <see cref="BackwardReference"/> beside them touch only the
/// causal triangle, split by (sequence, kv head) so a worker owns its group's k/v gradients.
/// </summary>
internal static class Attention
{
    /// <summary>
    /// Head <paramref name="h"/> of sequence <paramref name="b"/>: att[b,h] = causal softmax(scale·Q·Kᵀ), y = att·V;
    /// with a non-empty <paramref name="attDrop"/> (training with dropout), y = (att ⊙ M)·V instead, M drawn from
    /// <paramref name="rngState"/> at position (b·H + h)·T² and att ⊙ M kept in attDrop.
    /// </summary>
    public static void Forward(IGemm gemm, Span<float> y, Span<float> att, Span<float> attDrop, ReadOnlySpan<float> qkv, int b, int h, int t, int heads, int kvHeads, int hd,
        float dropout = 0f, ulong rngState = 0)
    {
        int width = (heads + 2 * kvHeads) * hd, g = h / (heads / kvHeads), ldy = heads * hd;
        int rowBase = b * t * width;
        var q = qkv[(rowBase + h * hd)..];
        var k = qkv[(rowBase + heads * hd + g * hd)..];
        var v = qkv[(rowBase + (heads + kvHeads) * hd + g * hd)..];
        var pr = att.Slice((b * heads + h) * t * t, t * t);
        gemm.Sgemm(false, true, t, t, hd, 1f / MathF.Sqrt(hd), q, width, k, width, 0f, pr, t);
        for (int i = 0; i < t; i++)
        {
            var row = pr.Slice(i * t, t);
            var live = row[..(i + 1)];
            float max = TensorPrimitives.Max(live);
            TensorPrimitives.Subtract(live, max, live);
            TensorPrimitives.Exp(live, live);
            TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
            row[(i + 1)..].Clear();
        }
        ReadOnlySpan<float> mixed = pr;
        if (!attDrop.IsEmpty)
        {
            var pd = attDrop.Slice((b * heads + h) * t * t, t * t);
            pr.CopyTo(pd);
            var rng = HeadStream(rngState, b, h, t, heads);
            Dropout.ApplyDrawn(pd, dropout, ref rng);
            mixed = pd;
        }
        gemm.Sgemm(false, false, t, hd, t, 1f, mixed, t, v, width, 0f, y[(b * t * ldy + h * hd)..], ldy);
    }

    /// <summary>
    /// Accumulates the q, k and v gradients of head <paramref name="h"/> of sequence <paramref name="b"/>
    /// into dqkv; <paramref name="scratch"/> holds T×T floats.
    /// </summary>
    public static void Backward(IGemm gemm, Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> att, ReadOnlySpan<float> attDrop, ReadOnlySpan<float> qkv, Span<float> scratch,
        int b, int h, int t, int heads, int kvHeads, int hd, float dropout = 0f, ulong rngState = 0)
    {
        int width = (heads + 2 * kvHeads) * hd, g = h / (heads / kvHeads), ldy = heads * hd;
        int rowBase = b * t * width;
        int qOff = rowBase + h * hd, kOff = rowBase + heads * hd + g * hd, vOff = rowBase + (heads + kvHeads) * hd + g * hd;
        var p = att.Slice((b * heads + h) * t * t, t * t);
        var d = dy[(b * t * ldy + h * hd)..];
        var ds = scratch[..(t * t)];
        float scale = 1f / MathF.Sqrt(hd);
        // y = P·V: dP = dy·Vᵀ, dV += Pᵀ·dy; with dropout y = (P⊙M)·V: dV += (P⊙M)ᵀ·dy, dP = (dy·Vᵀ)⊙M
        bool drop = !attDrop.IsEmpty;
        var mixed = drop ? attDrop.Slice((b * heads + h) * t * t, t * t) : p;
        gemm.Sgemm(false, true, t, t, hd, 1f, d, ldy, qkv[vOff..], width, 0f, ds, t);
        gemm.Sgemm(true, false, t, hd, t, 1f, mixed, t, d, ldy, 1f, dqkv[vOff..], width);
        if (drop)
        {
            var rng = HeadStream(rngState, b, h, t, heads);
            Dropout.ApplyDrawn(ds, dropout, ref rng);
        }
        // softmax: dS = P ⊙ (dP − Σ P⊙dP), times the score scale (masked entries have P = 0)
        for (int i = 0; i < t; i++)
        {
            var pr = p.Slice(i * t, i + 1);
            var dr = ds.Slice(i * t, t);
            float dot = TensorPrimitives.Dot(pr, dr[..(i + 1)]);
            TensorPrimitives.Subtract(dr[..(i + 1)], dot, dr[..(i + 1)]);
            TensorPrimitives.Multiply(dr[..(i + 1)], pr, dr[..(i + 1)]);
            TensorPrimitives.Multiply(dr[..(i + 1)], scale, dr[..(i + 1)]);
            dr[(i + 1)..].Clear();
        }
        // S = Q·Kᵀ: dQ += dS·K, dK += dSᵀ·Q
        gemm.Sgemm(false, false, t, hd, t, 1f, ds, t, qkv[kOff..], width, 1f, dqkv[qOff..], width);
        gemm.Sgemm(true, false, t, hd, t, 1f, ds, t, qkv[qOff..], width, 1f, dqkv[kOff..], width);
    }

    /// <summary>
    /// For unit <paramref name="unit"/> = b·kvHeads + g: every query head of group g in sequence b.
    /// att is [B, H, T, T] (only t2 ≤ t written; the rest is zero); y is [B, T, H·hd].
    /// </summary>
    public static void ForwardReference(Span<float> y, Span<float> att, ReadOnlySpan<float> qkv, int unit, int t, int heads, int kvHeads, int hd)
    {
        int width = (heads + 2 * kvHeads) * hd;
        int b = unit / kvHeads, g = unit % kvHeads, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        int kOff = heads * hd + g * hd, vOff = (heads + kvHeads) * hd + g * hd;
        for (int hh = 0; hh < group; hh++)
        {
            int h = g * group + hh;
            for (int i = 0; i < t; i++)
            {
                var q = qkv.Slice((b * t + i) * width + h * hd, hd);
                var row = att.Slice(((b * heads + h) * t + i) * t, t);
                float max = float.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    float s = TensorPrimitives.Dot(q, qkv.Slice((b * t + j) * width + kOff, hd)) * scale;
                    row[j] = s;
                    if (s > max) max = s;
                }
                float sum = 0f;
                for (int j = 0; j <= i; j++) { float e = MathF.Exp(row[j] - max); row[j] = e; sum += e; }
                float inv = 1f / sum;
                row[..(i + 1)].MultiplyInPlace(inv);
                row[(i + 1)..].Clear();
                var yo = y.Slice((b * t + i) * heads * hd + h * hd, hd);
                yo.Clear();
                for (int j = 0; j <= i; j++)
                    TensorPrimitives.MultiplyAdd(qkv.Slice((b * t + j) * width + vOff, hd), row[j], yo, yo);
            }
        }
    }

    /// <summary>
    /// Accumulates into dqkv (q, k and v parts) from dy for one unit; <paramref name="scratch"/>
    /// holds at least T floats private to the caller.
    /// </summary>
    public static void BackwardReference(Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> att, ReadOnlySpan<float> qkv, Span<float> scratch,
        int unit, int t, int heads, int kvHeads, int hd)
    {
        int width = (heads + 2 * kvHeads) * hd;
        int b = unit / kvHeads, g = unit % kvHeads, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        int kOff = heads * hd + g * hd, vOff = (heads + kvHeads) * hd + g * hd;
        var datt = scratch[..t];
        for (int hh = 0; hh < group; hh++)
        {
            int h = g * group + hh;
            for (int i = 0; i < t; i++)
            {
                var p = att.Slice(((b * heads + h) * t + i) * t, t);
                var dyo = dy.Slice((b * t + i) * heads * hd + h * hd, hd);
                float dot = 0f;
                for (int j = 0; j <= i; j++)
                {
                    // y = Σ p_j v_j: dv_j += p_j·dy, dp_j = dy·v_j
                    var dv = dqkv.Slice((b * t + j) * width + vOff, hd);
                    TensorPrimitives.MultiplyAdd(dyo, p[j], dv, dv);
                    float dp = TensorPrimitives.Dot(dyo, qkv.Slice((b * t + j) * width + vOff, hd));
                    datt[j] = dp;
                    dot += dp * p[j];
                }
                var q = qkv.Slice((b * t + i) * width + h * hd, hd);
                var dq = dqkv.Slice((b * t + i) * width + h * hd, hd);
                for (int j = 0; j <= i; j++)
                {
                    // softmax backward, then s_j = scale·q·k_j
                    float ds = p[j] * (datt[j] - dot) * scale;
                    var k = qkv.Slice((b * t + j) * width + kOff, hd);
                    TensorPrimitives.MultiplyAdd(k, ds, dq, dq);
                    var dk = dqkv.Slice((b * t + j) * width + kOff, hd);
                    TensorPrimitives.MultiplyAdd(q, ds, dk, dk);
                }
            }
        }
    }

    // The dropout stream of head (b, h): its T² draws follow those of every earlier head.
    private static SplitMix64 HeadStream(ulong state, int b, int h, int t, int heads)
    {
        var rng = new SplitMix64(state);
        rng.Skip((long)(b * heads + h) * t * t);
        return rng;
    }

    private static void MultiplyInPlace(this Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);
}
