using System.Numerics.Tensors;

namespace Dlm.Models.Layers;

/// <summary>LayerNorm with weight and bias (GPT-2): y = (x − mean) / sqrt(var + eps) · w + b.</summary>
internal static class LayerNorm
{
    /// <summary>Normalises rows [start, end); mean and rstd per row are kept for the backward pass.</summary>
    public static void Forward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, float eps, int c, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            float m = TensorPrimitives.Sum(xr) / c;
            float v = 0f;
            for (int i = 0; i < c; i++) { float d = xr[i] - m; v += d * d; }
            float s = 1f / MathF.Sqrt(v / c + eps);
            mean[r] = m;
            rstd[r] = s;
            for (int i = 0; i < c; i++) yr[i] = (xr[i] - m) * s * w[i] + bias[i];
        }
    }

    /// <summary>dx += s·(g − mean(g) − x̂·mean(g⊙x̂)) with g = w⊙dy; dw += dy⊙x̂; db += dy.</summary>
    public static void Backward(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            var dxr = dx.Slice(r * c, c);
            float m = mean[r], s = rstd[r];
            float gMean = 0f, gxMean = 0f;
            for (int i = 0; i < c; i++)
            {
                float xh = (xr[i] - m) * s;
                float g = w[i] * dyr[i];
                gMean += g;
                gxMean += g * xh;
            }
            gMean /= c;
            gxMean /= c;
            for (int i = 0; i < c; i++)
            {
                float xh = (xr[i] - m) * s;
                dxr[i] += s * (w[i] * dyr[i] - gMean - xh * gxMean);
                if (!dw.IsEmpty)
                {
                    dw[i] += dyr[i] * xh;
                    db[i] += dyr[i];
                }
            }
        }
    }
}
