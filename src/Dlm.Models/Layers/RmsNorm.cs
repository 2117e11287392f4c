using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

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
            int i = 0;
            float dot = 0f;
            if (Vector512.IsHardwareAccelerated && c >= 16)
            {
                // Sixteen partial sums, then the scalar tail; the row's two updates lane by lane.
                var acc = Vector512<float>.Zero;
                for (; i + 16 <= c; i += 16)
                    acc += Vector512.Create(w.Slice(i, 16)) * Vector512.Create(dyr.Slice(i, 16)) * Vector512.Create(xr.Slice(i, 16));
                dot = Vector512.Sum(acc);
            }
            for (; i < c; i++) dot += w[i] * dyr[i] * xr[i];
            float k = s * s * s * dot / c;
            i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var sv = Vector512.Create(s);
                var kv = Vector512.Create(k);
                for (; i + 16 <= c; i += 16)
                {
                    var dyv = Vector512.Create(dyr.Slice(i, 16));
                    var xv = Vector512.Create(xr.Slice(i, 16));
                    (Vector512.Create(dxr.Slice(i, 16)) + (sv * Vector512.Create(w.Slice(i, 16)) * dyv - kv * xv)).CopyTo(dxr.Slice(i, 16));
                    if (!dw.IsEmpty) (Vector512.Create(dw.Slice(i, 16)) + dyv * xv * sv).CopyTo(dw.Slice(i, 16));
                }
            }
            for (int j = i; j < c; j++) dxr[j] += s * w[j] * dyr[j] - k * xr[j];
            if (!dw.IsEmpty)
                for (int j = i; j < c; j++) dw[j] += dyr[j] * xr[j] * s;
        }
    }
}
