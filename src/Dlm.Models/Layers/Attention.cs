using System.Numerics.Tensors;

namespace Dlm.Models.Layers;

/// <summary>
/// Causal scaled-dot-product attention with grouped-query heads over a fused row
/// [q heads | k heads | v heads] (llm.c style: the softmax probabilities are kept for the
/// backward pass). Work is split by (sequence, kv head) so that the k/v gradients of a
/// group are written by one worker only.
/// </summary>
internal static class Attention
{
    /// <summary>
    /// For unit <paramref name="unit"/> = b·kvHeads + g: every query head of group g in sequence b.
    /// att is [B, H, T, T] (only t2 ≤ t written; the rest is zero); y is [B, T, H·hd].
    /// </summary>
    public static void Forward(Span<float> y, Span<float> att, ReadOnlySpan<float> qkv, int unit, int t, int heads, int kvHeads, int hd)
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
    public static void Backward(Span<float> dqkv, ReadOnlySpan<float> dy, ReadOnlySpan<float> att, ReadOnlySpan<float> qkv, Span<float> scratch,
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

    private static void MultiplyInPlace(this Span<float> x, float s) => TensorPrimitives.Multiply(x, s, x);
}
