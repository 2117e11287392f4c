using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layout the micro-kernel streams through: slivers
/// of MR rows of op(A) stored step by step (MR values per k step) and slivers of NR columns of
/// op(B) (NR values per k step), zero-padded at the edges so the kernel never branches.
/// Transposes are absorbed here, so one kernel serves all four combinations.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [i0, i0 + rows) and steps [p0, p0 + kc) of op(A) into ceil(rows/mr) slivers of mr×kc.
    /// </summary>
    public static void PackA(bool transA, float* a, nint lda, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        for (int s = 0; s < rows; s += mr)
        {
            int h = Math.Min(mr, rows - s);
            float* d = dst + (nint)s * kc;
            if (transA)
            {
                // op(A)[i, p] = A[p, i]: the mr values of one step are contiguous in A.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (nint)(p0 + p) * lda + i0 + s;
                    float* o = d + (nint)p * mr;
                    int r = 0;
                    for (; r < h; r++) o[r] = src[r];
                    for (; r < mr; r++) o[r] = 0f;
                }
            }
            else
            {
                // op(A)[i, p] = A[i, p]: read each row once, scatter it with stride mr (the sliver stays in L1).
                for (int r = 0; r < h; r++)
                {
                    float* src = a + (nint)(i0 + s + r) * lda + p0;
                    float* o = d + r;
                    for (int p = 0; p < kc; p++) o[(nint)p * mr] = src[p];
                }
                for (int r = h; r < mr; r++)
                    for (int p = 0; p < kc; p++) d[(nint)p * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs slivers [s0, s1) (of nr columns each, counted from column j0) of steps [p0, p0 + kc)
    /// of op(B), where the panel has <paramref name="cols"/> columns; sliver s lands at dst + s·nr·kc.
    /// </summary>
    public static void PackB(bool transB, float* b, nint ldb, int j0, int cols, int p0, int kc, int nr, int s0, int s1, float* dst)
    {
        for (int s = s0; s < s1; s++)
        {
            int jOff = s * nr;
            int w = Math.Min(nr, cols - jOff);
            float* d = dst + (nint)s * nr * kc;
            if (!transB)
            {
                // op(B)[p, j] = B[p, j]: each step is a contiguous run of nr values.
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (nint)(p0 + p) * ldb + j0 + jOff;
                    float* o = d + (nint)p * nr;
                    if (w == nr) CopyRun(src, o, nr);
                    else
                    {
                        int j = 0;
                        for (; j < w; j++) o[j] = src[j];
                        for (; j < nr; j++) o[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)[p, j] = B[j, p]: read each row of B once, scatter with stride nr.
                for (int j = 0; j < w; j++)
                {
                    float* src = b + (nint)(j0 + jOff + j) * ldb + p0;
                    float* o = d + j;
                    for (int p = 0; p < kc; p++) o[(nint)p * nr] = src[p];
                }
                for (int j = w; j < nr; j++)
                    for (int p = 0; p < kc; p++) d[(nint)p * nr + j] = 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* src, float* dst, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16) Vector512.Store(Vector512.Load(src + j), dst + j);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] = src[j];
    }
}
