using System.Numerics.Tensors;

namespace Dlm.Models.Layers;

/// <summary>RMSNorm: y = w * x / sqrt(mean(x²) + eps), one row at a time; saves 1/rms per row.</summary>
internal static class RmsNorm
{
    /// <summary>Normalises rows [start, end) of x (width c) into y; rstd[row] is kept for the backward pass.</summary>
    public static void Forward(Span<float> y, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, int c, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            float s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / c + eps);
            rstd[r] = s;
            TensorPrimitives.Multiply(xr, s, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>
    /// dx += s·(w⊙dy) − s³/c · x · Σ(w⊙dy⊙x); dw += dy⊙x·s (dw only when not empty).
    /// dw is shared by all rows, so a caller running rows in parallel must give each worker its own dw.
    /// </summary>
    public static void Backward(Span<float> dx, Span<float> dw, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> rstd, int c, int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            var dxr = dx.Slice(r * c, c);
            float s = rstd[r];
            float dot = 0f;
            for (int i = 0; i < c; i++) dot += w[i] * dyr[i] * xr[i];
            float k = s * s * s * dot / c;
            for (int i = 0; i < c; i++) dxr[i] += s * w[i] * dyr[i] - k * xr[i];
            if (!dw.IsEmpty)
                for (int i = 0; i < c; i++) dw[i] += dyr[i] * xr[i] * s;
        }
    }
}
