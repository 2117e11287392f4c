using System.Numerics.Tensors;
using Dlm.Numerics.Gemm;

namespace Dlm.Models.Layers;

/// <summary>
/// Fully connected layer in the Hugging Face layout: W is [out, in], y = x·Wᵀ + b.
/// Outputs and output gradients may be a column slice of a wider buffer (stride <c>ldy</c>),
/// which is how fused q|k|v and gate|up projections share one GEMM.
/// </summary>
internal static class Linear
{
    /// <summary>y[r, 0..outF) = x[r,:]·Wᵀ + b for rows 0..rows (b may be empty).</summary>
    public static void Forward(IGemm gemm, Span<float> y, int ldy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, int rows, int inF, int outF)
    {
        gemm.Sgemm(false, true, rows, outF, inF, 1f, x, inF, w, inF, 0f, y, ldy);
        if (bias.IsEmpty) return;
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * ldy, outF);
            TensorPrimitives.Add(yr, bias, yr);
        }
    }

    /// <summary>dx = dy·W (or dx += dy·W when <paramref name="accumulate"/>).</summary>
    public static void BackwardInput(IGemm gemm, Span<float> dx, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> w, int rows, int inF, int outF, bool accumulate)
        => gemm.Sgemm(false, false, rows, inF, outF, 1f, dy, ldy, w, inF, accumulate ? 1f : 0f, dx, inF);

    /// <summary>dW += dyᵀ·x and db += Σ_rows dy (db may be empty).</summary>
    public static void BackwardParams(IGemm gemm, Span<float> dw, Span<float> db, ReadOnlySpan<float> dy, int ldy, ReadOnlySpan<float> x, int rows, int inF, int outF)
    {
        gemm.Sgemm(true, false, outF, inF, rows, 1f, dy, ldy, x, inF, 1f, dw, inF);
        if (db.IsEmpty) return;
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, dy.Slice(r * ldy, outF), db);
    }
}
