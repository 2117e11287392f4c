using System.Numerics.Tensors;

namespace Dlm.Models.Layers;

/// <summary>
/// The scalar reference of causal grouped-query attention over a fused row [q heads | k heads | v heads]:
/// it keeps the softmax probabilities [B, H, T, T] and touches only the causal triangle, split by
/// (sequence, kv head) so a caller owns its group's k/v gradients. The engine runs
/// <see cref="TiledAttention"/>; tests hold the two together. With dropout the mask of entry (i, j)
/// of head (b, h) is draw (b·H + h)·T² + i·T + j of the stream at <c>rngState</c>, as in the tiled kernel.
/// </summary>
internal static class Attention
{
    /// <summary>
    /// For unit <paramref name="unit"/> = b·kvHeads + g: every query head of group g in sequence b.
    /// att is [B, H, T, T] (only t2 ≤ t written; the rest is zero); y is [B, T, H·hd]. With dropout
    /// y = (att ⊙ M)·V, att itself undropped.
    /// </summary>
    public static void ForwardReference(Span<float> y, Span<float> att, ReadOnlySpan<float> qkv, int unit, int t, int heads, int kvHeads, int hd,
        float dropout = 0f, ulong rngState = 0)
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
                var rng = RowStream(rngState, b, h, i, t, heads);
                for (int j = 0; j <= i; j++)
                    TensorPrimitives.MultiplyAdd(qkv.Slice((b * t + j) * width + vOff, hd), row[j] * Keep(ref rng, dropout), yo, yo);
            }
        }
    }

    /// <summary>
    /// Accumulates into dqkv (q, k and v parts) from dy for one unit; <paramref name="scratch"/>
    /// holds at least T floats private to the caller.
    /// </summary>
    public static void BackwardReference(Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> att, ReadOnlySpan<float> qkv, Span<float> scratch,
        int unit, int t, int heads, int kvHeads, int hd, float dropout = 0f, ulong rngState = 0)
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
                var rng = RowStream(rngState, b, h, i, t, heads);
                for (int j = 0; j <= i; j++)
                {
                    // y = Σ p_j m_j v_j: dv_j += p_j m_j·dy, dp_j = m_j·dy·v_j
                    float mj = Keep(ref rng, dropout);
                    var dv = dqkv.Slice((b * t + j) * width + vOff, hd);
                    TensorPrimitives.MultiplyAdd(dyo, p[j] * mj, dv, dv);
                    float dp = mj * TensorPrimitives.Dot(dyo, qkv.Slice((b * t + j) * width + vOff, hd));
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

    // The dropout stream of row i of head (b, h): each head's T² draws follow those of every earlier head.
    private static SplitMix64 RowStream(ulong state, int b, int h, int i, int t, int heads)
    {
        var rng = new SplitMix64(state);
        rng.Skip((long)(b * heads + h) * t * t + (long)i * t);
        return rng;
    }

    // The next mask value, as Dropout.ApplyDrawn draws it (1 without dropout, drawing nothing).
    private static float Keep(ref SplitMix64 rng, float p) => p <= 0f ? 1f : rng.NextFloat() < p ? 0f : 1f / (1f - p);

    private static void MultiplyInPlace(this Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);
}
