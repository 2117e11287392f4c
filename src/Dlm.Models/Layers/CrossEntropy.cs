namespace Dlm.Models.Layers;

/// <summary>
/// Cross-entropy with per-token weights over logits rows: logp = logit[target] − logsumexp(row),
/// loss = −Σ w·logp. The backward pass overwrites the logits with their gradient,
/// scale·w·(softmax − onehot), as llm.c does, so the logits buffer is reused.
/// </summary>
internal static class CrossEntropy
{
    /// <summary>Writes lse[r] and logp[r] for rows [start, end); rows with weight 0 or a negative target get logp 0.</summary>
    public static void Forward(Span<float> logp, Span<float> lse, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var row = logits.Slice(r * v, v);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            double sum = 0;
            for (int i = 0; i < v; i++) sum += MathF.Exp(row[i] - max);
            float l = max + (float)Math.Log(sum);
            lse[r] = l;
            int tg = targets[r];
            logp[r] = tg >= 0 ? row[tg] - l : 0f;
        }
    }

    /// <summary>In place: logits[r,:] becomes scale·w[r]·(softmax − onehot(target)).</summary>
    public static void Backward(Span<float> logits, ReadOnlySpan<float> lse, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, float scale, int v, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var row = logits.Slice(r * v, v);
            int tg = targets[r];
            float k = tg >= 0 ? scale * weights[r] : 0f;
            if (k == 0f) { row.Clear(); continue; }
            float l = lse[r];
            for (int i = 0; i < v; i++) row[i] = k * MathF.Exp(row[i] - l);
            row[tg] -= k;
        }
    }
}
