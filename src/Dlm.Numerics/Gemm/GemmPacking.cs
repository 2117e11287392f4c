using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        if (transA)
        {
            // op(A)[i, p] = A[p, i]: each step's values for all slivers are one contiguous run of A,
            // so walk the steps once and deal each run out to the slivers.
            for (int p = 0; p < kc; p++)
            {
                float* src = a + (nint)(p0 + p) * lda + i0;
                for (int s = 0; s < rows; s += mr)
                {
                    int h = Math.Min(mr, rows - s);
                    float* o = dst + (nint)s * kc + (nint)p * mr;
                    CopyRun(src + s, o, h);
                    for (int r = h; r < mr; r++) o[r] = 0f;
                }
            }
            return;
        }
        for (int s = 0; s < rows; s += mr)
        {
            int h = Math.Min(mr, rows - s);
            float* d = dst + (nint)s * kc;
            // op(A)[i, p] = A[i, p]: transpose 4 rows at a time into steps of mr (the sliver stays in L1).
            int r4 = 0;
            for (; r4 + 4 <= h; r4 += 4)
                Transpose4(a + (nint)(i0 + s + r4) * lda + p0, lda, kc, d + r4, mr);
            for (int r = r4; r < h; r++)
            {
                float* src = a + (nint)(i0 + s + r) * lda + p0;
                float* o = d + r;
                for (int p = 0; p < kc; p++) o[(nint)p * mr] = src[p];
            }
            for (int r = h; r < mr; r++)
                for (int p = 0; p < kc; p++) d[(nint)p * mr + r] = 0f;
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
                // op(B)[p, j] = B[j, p]: transpose 4 rows of B at a time into steps of nr.
                int j4 = 0;
                for (; j4 + 4 <= w; j4 += 4)
                    Transpose4(b + (nint)(j0 + jOff + j4) * ldb + p0, ldb, kc, d + j4, nr);
                for (int j = j4; j < w; j++)
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

    /// <summary>
    /// dst[q·dstStride + r] = src[r·ld + q] for r &lt; 4, q &lt; len: four rows become len runs of four.
    /// 4×4 blocks go through SSE shuffles (4 loads, 8 shuffles, 4 stores per 16 values).
    /// </summary>
    internal static void Transpose4(float* src, nint ld, int len, float* dst, nint dstStride)
    {
        float* s0 = src, s1 = src + ld, s2 = src + 2 * ld, s3 = src + 3 * ld;
        int q = 0;
        if (Sse.IsSupported)
        {
            for (; q + 4 <= len; q += 4)
            {
                var r0 = Sse.LoadVector128(s0 + q);
                var r1 = Sse.LoadVector128(s1 + q);
                var r2 = Sse.LoadVector128(s2 + q);
                var r3 = Sse.LoadVector128(s3 + q);
                var t0 = Sse.UnpackLow(r0, r1);  // r0[0] r1[0] r0[1] r1[1]
                var t1 = Sse.UnpackLow(r2, r3);  // r2[0] r3[0] r2[1] r3[1]
                var t2 = Sse.UnpackHigh(r0, r1); // r0[2] r1[2] r0[3] r1[3]
                var t3 = Sse.UnpackHigh(r2, r3); // r2[2] r3[2] r2[3] r3[3]
                float* o = dst + q * dstStride;
                Sse.Store(o, Sse.MoveLowToHigh(t0, t1));
                Sse.Store(o + dstStride, Sse.MoveHighToLow(t1, t0));
                Sse.Store(o + 2 * dstStride, Sse.MoveLowToHigh(t2, t3));
                Sse.Store(o + 3 * dstStride, Sse.MoveHighToLow(t3, t2));
            }
        }
        for (; q < len; q++)
        {
            float* o = dst + q * dstStride;
            o[0] = s0[q];
            o[1] = s1[q];
            o[2] = s2[q];
            o[3] = s3[q];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(float* src, float* dst, int n)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16) Vector512.Store(Vector512.Load(src + j), dst + j);
        if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= n; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
        if (Vector128.IsHardwareAccelerated)
            for (; j + 4 <= n; j += 4) Vector128.Store(Vector128.Load(src + j), dst + j);
        for (; j < n; j++) dst[j] = src[j];
    }
}
