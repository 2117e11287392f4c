using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Register-blocked micro-kernels: an MR×NR block of C lives in registers for the whole packed
/// k loop; each step loads two vectors of the packed B sliver, broadcasts MR values of the packed
/// A sliver and issues 2·MR fused multiply-adds. Ã holds MR values per step, B̃ NR values per step
/// (<see cref="GemmPacking"/>). alpha scales the product at the store; beta = 0 never reads C.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Prefetches the first and last element of each of <paramref name="rows"/> rows of <paramref name="cols"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, nint ldc, int rows, int cols)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < rows; r++)
        {
            float* row = c + r * ldc;
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + cols - 1);
        }
    }

    /// <summary>Rows and columns of the Vector512 tile (24 accumulators of the 32 zmm registers).</summary>
    public const int Mr512 = 12, Nr512 = 32;

    /// <summary>Rows and columns of the Vector256 tile (12 accumulators of the 16 ymm registers).</summary>
    public const int Mr256 = 6, Nr256 = 16;

    /// <summary>Rows and columns of the Vector128 tile (SSE/NEON; 12 accumulators of 16 registers).</summary>
    public const int Mr128 = 6, Nr128 = 8;

    /// <summary>12×32 tile: C[0..12, 0..32] = alpha·(Ã·B̃) + beta·C over <paramref name="kc"/> packed steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile512(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta) =>
        Tile512(kc, a, Mr512, b, c, ldc, alpha, beta);

    /// <summary>
    /// 12×32 tile reading the 12 values of step p at a + p·<paramref name="aStep"/>: a packed sliver
    /// (aStep = 12), or op(A) = Aᵀ read in place (aStep = lda: step p is row p of A, 12 consecutive values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile512(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        // C is read only at the end; start fetching its rows now so the k loop hides the latency.
        if (beta != 0f) PrefetchTile(c, ldc, 12, 32);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            var a8 = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(a8, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
            var a9 = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(a9, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(a9, b1, c91);
            var a10 = Vector512.Create(a[10]);
            c100 = Vector512.FusedMultiplyAdd(a10, b0, c100);
            c101 = Vector512.FusedMultiplyAdd(a10, b1, c101);
            var a11 = Vector512.Create(a[11]);
            c110 = Vector512.FusedMultiplyAdd(a11, b0, c110);
            c111 = Vector512.FusedMultiplyAdd(a11, b1, c111);
            a += aStep;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Vector512.Store(c00 * va, c + 0 * ldc); Vector512.Store(c01 * va, c + 0 * ldc + 16);
            Vector512.Store(c10 * va, c + 1 * ldc); Vector512.Store(c11 * va, c + 1 * ldc + 16);
            Vector512.Store(c20 * va, c + 2 * ldc); Vector512.Store(c21 * va, c + 2 * ldc + 16);
            Vector512.Store(c30 * va, c + 3 * ldc); Vector512.Store(c31 * va, c + 3 * ldc + 16);
            Vector512.Store(c40 * va, c + 4 * ldc); Vector512.Store(c41 * va, c + 4 * ldc + 16);
            Vector512.Store(c50 * va, c + 5 * ldc); Vector512.Store(c51 * va, c + 5 * ldc + 16);
            Vector512.Store(c60 * va, c + 6 * ldc); Vector512.Store(c61 * va, c + 6 * ldc + 16);
            Vector512.Store(c70 * va, c + 7 * ldc); Vector512.Store(c71 * va, c + 7 * ldc + 16);
            Vector512.Store(c80 * va, c + 8 * ldc); Vector512.Store(c81 * va, c + 8 * ldc + 16);
            Vector512.Store(c90 * va, c + 9 * ldc); Vector512.Store(c91 * va, c + 9 * ldc + 16);
            Vector512.Store(c100 * va, c + 10 * ldc); Vector512.Store(c101 * va, c + 10 * ldc + 16);
            Vector512.Store(c110 * va, c + 11 * ldc); Vector512.Store(c111 * va, c + 11 * ldc + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            float* r0 = c + 0 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c00, va, Vector512.Load(r0) * vb), r0); Vector512.Store(Vector512.FusedMultiplyAdd(c01, va, Vector512.Load(r0 + 16) * vb), r0 + 16);
            float* r1 = c + 1 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c10, va, Vector512.Load(r1) * vb), r1); Vector512.Store(Vector512.FusedMultiplyAdd(c11, va, Vector512.Load(r1 + 16) * vb), r1 + 16);
            float* r2 = c + 2 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c20, va, Vector512.Load(r2) * vb), r2); Vector512.Store(Vector512.FusedMultiplyAdd(c21, va, Vector512.Load(r2 + 16) * vb), r2 + 16);
            float* r3 = c + 3 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c30, va, Vector512.Load(r3) * vb), r3); Vector512.Store(Vector512.FusedMultiplyAdd(c31, va, Vector512.Load(r3 + 16) * vb), r3 + 16);
            float* r4 = c + 4 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c40, va, Vector512.Load(r4) * vb), r4); Vector512.Store(Vector512.FusedMultiplyAdd(c41, va, Vector512.Load(r4 + 16) * vb), r4 + 16);
            float* r5 = c + 5 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c50, va, Vector512.Load(r5) * vb), r5); Vector512.Store(Vector512.FusedMultiplyAdd(c51, va, Vector512.Load(r5 + 16) * vb), r5 + 16);
            float* r6 = c + 6 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c60, va, Vector512.Load(r6) * vb), r6); Vector512.Store(Vector512.FusedMultiplyAdd(c61, va, Vector512.Load(r6 + 16) * vb), r6 + 16);
            float* r7 = c + 7 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c70, va, Vector512.Load(r7) * vb), r7); Vector512.Store(Vector512.FusedMultiplyAdd(c71, va, Vector512.Load(r7 + 16) * vb), r7 + 16);
            float* r8 = c + 8 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c80, va, Vector512.Load(r8) * vb), r8); Vector512.Store(Vector512.FusedMultiplyAdd(c81, va, Vector512.Load(r8 + 16) * vb), r8 + 16);
            float* r9 = c + 9 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c90, va, Vector512.Load(r9) * vb), r9); Vector512.Store(Vector512.FusedMultiplyAdd(c91, va, Vector512.Load(r9 + 16) * vb), r9 + 16);
            float* r10 = c + 10 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c100, va, Vector512.Load(r10) * vb), r10); Vector512.Store(Vector512.FusedMultiplyAdd(c101, va, Vector512.Load(r10 + 16) * vb), r10 + 16);
            float* r11 = c + 11 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c110, va, Vector512.Load(r11) * vb), r11); Vector512.Store(Vector512.FusedMultiplyAdd(c111, va, Vector512.Load(r11 + 16) * vb), r11 + 16);
        }
    }

    /// <summary>Rows of the Vector512 edge tile: the last sliver of a 12-row kernel when 8 or fewer rows are left (128 = 10·12 + 8, 2048 = 170·12 + 8).</summary>
    public const int MrEdge512 = 8;

    /// <summary>
    /// 8×32 tile over a packed sliver of <paramref name="aStep"/> values per step (the first 8 of each
    /// step are used): the same arithmetic per element as <see cref="Tile512(int, float*, nint, float*, float*, nint, float, float)"/>, for the last rows of a
    /// product whose row count is not a multiple of 12, so those rows are not computed as a padded
    /// 12-row tile and copied out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile512x8(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        if (beta != 0f) PrefetchTile(c, ldc, 8, 32);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += aStep;
            b += 32;
        }
        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            Vector512.Store(c00 * va, c + 0 * ldc); Vector512.Store(c01 * va, c + 0 * ldc + 16);
            Vector512.Store(c10 * va, c + 1 * ldc); Vector512.Store(c11 * va, c + 1 * ldc + 16);
            Vector512.Store(c20 * va, c + 2 * ldc); Vector512.Store(c21 * va, c + 2 * ldc + 16);
            Vector512.Store(c30 * va, c + 3 * ldc); Vector512.Store(c31 * va, c + 3 * ldc + 16);
            Vector512.Store(c40 * va, c + 4 * ldc); Vector512.Store(c41 * va, c + 4 * ldc + 16);
            Vector512.Store(c50 * va, c + 5 * ldc); Vector512.Store(c51 * va, c + 5 * ldc + 16);
            Vector512.Store(c60 * va, c + 6 * ldc); Vector512.Store(c61 * va, c + 6 * ldc + 16);
            Vector512.Store(c70 * va, c + 7 * ldc); Vector512.Store(c71 * va, c + 7 * ldc + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            float* r0 = c + 0 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c00, va, Vector512.Load(r0) * vb), r0); Vector512.Store(Vector512.FusedMultiplyAdd(c01, va, Vector512.Load(r0 + 16) * vb), r0 + 16);
            float* r1 = c + 1 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c10, va, Vector512.Load(r1) * vb), r1); Vector512.Store(Vector512.FusedMultiplyAdd(c11, va, Vector512.Load(r1 + 16) * vb), r1 + 16);
            float* r2 = c + 2 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c20, va, Vector512.Load(r2) * vb), r2); Vector512.Store(Vector512.FusedMultiplyAdd(c21, va, Vector512.Load(r2 + 16) * vb), r2 + 16);
            float* r3 = c + 3 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c30, va, Vector512.Load(r3) * vb), r3); Vector512.Store(Vector512.FusedMultiplyAdd(c31, va, Vector512.Load(r3 + 16) * vb), r3 + 16);
            float* r4 = c + 4 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c40, va, Vector512.Load(r4) * vb), r4); Vector512.Store(Vector512.FusedMultiplyAdd(c41, va, Vector512.Load(r4 + 16) * vb), r4 + 16);
            float* r5 = c + 5 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c50, va, Vector512.Load(r5) * vb), r5); Vector512.Store(Vector512.FusedMultiplyAdd(c51, va, Vector512.Load(r5 + 16) * vb), r5 + 16);
            float* r6 = c + 6 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c60, va, Vector512.Load(r6) * vb), r6); Vector512.Store(Vector512.FusedMultiplyAdd(c61, va, Vector512.Load(r6 + 16) * vb), r6 + 16);
            float* r7 = c + 7 * ldc;
            Vector512.Store(Vector512.FusedMultiplyAdd(c70, va, Vector512.Load(r7) * vb), r7); Vector512.Store(Vector512.FusedMultiplyAdd(c71, va, Vector512.Load(r7 + 16) * vb), r7 + 16);
        }
    }

    /// <summary>6×16 tile: C[0..6, 0..16] = alpha·(Ã·B̃) + beta·C over <paramref name="kc"/> packed steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile256(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        // C is read only at the end; start fetching its rows now so the k loop hides the latency.
        if (beta != 0f) PrefetchTile(c, ldc, 6, 16);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(a5, b1, c51);
            a += 6;
            b += 16;
        }
        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Vector256.Store(c00 * va, c + 0 * ldc); Vector256.Store(c01 * va, c + 0 * ldc + 8);
            Vector256.Store(c10 * va, c + 1 * ldc); Vector256.Store(c11 * va, c + 1 * ldc + 8);
            Vector256.Store(c20 * va, c + 2 * ldc); Vector256.Store(c21 * va, c + 2 * ldc + 8);
            Vector256.Store(c30 * va, c + 3 * ldc); Vector256.Store(c31 * va, c + 3 * ldc + 8);
            Vector256.Store(c40 * va, c + 4 * ldc); Vector256.Store(c41 * va, c + 4 * ldc + 8);
            Vector256.Store(c50 * va, c + 5 * ldc); Vector256.Store(c51 * va, c + 5 * ldc + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            float* r0 = c + 0 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c00, va, Vector256.Load(r0) * vb), r0); Vector256.Store(Vector256.MultiplyAddEstimate(c01, va, Vector256.Load(r0 + 8) * vb), r0 + 8);
            float* r1 = c + 1 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c10, va, Vector256.Load(r1) * vb), r1); Vector256.Store(Vector256.MultiplyAddEstimate(c11, va, Vector256.Load(r1 + 8) * vb), r1 + 8);
            float* r2 = c + 2 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c20, va, Vector256.Load(r2) * vb), r2); Vector256.Store(Vector256.MultiplyAddEstimate(c21, va, Vector256.Load(r2 + 8) * vb), r2 + 8);
            float* r3 = c + 3 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c30, va, Vector256.Load(r3) * vb), r3); Vector256.Store(Vector256.MultiplyAddEstimate(c31, va, Vector256.Load(r3 + 8) * vb), r3 + 8);
            float* r4 = c + 4 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c40, va, Vector256.Load(r4) * vb), r4); Vector256.Store(Vector256.MultiplyAddEstimate(c41, va, Vector256.Load(r4 + 8) * vb), r4 + 8);
            float* r5 = c + 5 * ldc;
            Vector256.Store(Vector256.MultiplyAddEstimate(c50, va, Vector256.Load(r5) * vb), r5); Vector256.Store(Vector256.MultiplyAddEstimate(c51, va, Vector256.Load(r5 + 8) * vb), r5 + 8);
        }
    }

    /// <summary>6×8 tile: C[0..6, 0..8] = alpha·(Ã·B̃) + beta·C over <paramref name="kc"/> packed steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile128(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default;
        Vector128<float> c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default;
        Vector128<float> c40 = default, c41 = default;
        Vector128<float> c50 = default, c51 = default;
        // C is read only at the end; start fetching its rows now so the k loop hides the latency.
        if (beta != 0f) PrefetchTile(c, ldc, 6, 8);
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var a0 = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(a5, b1, c51);
            a += 6;
            b += 8;
        }
        var va = Vector128.Create(alpha);
        if (beta == 0f)
        {
            Vector128.Store(c00 * va, c + 0 * ldc); Vector128.Store(c01 * va, c + 0 * ldc + 4);
            Vector128.Store(c10 * va, c + 1 * ldc); Vector128.Store(c11 * va, c + 1 * ldc + 4);
            Vector128.Store(c20 * va, c + 2 * ldc); Vector128.Store(c21 * va, c + 2 * ldc + 4);
            Vector128.Store(c30 * va, c + 3 * ldc); Vector128.Store(c31 * va, c + 3 * ldc + 4);
            Vector128.Store(c40 * va, c + 4 * ldc); Vector128.Store(c41 * va, c + 4 * ldc + 4);
            Vector128.Store(c50 * va, c + 5 * ldc); Vector128.Store(c51 * va, c + 5 * ldc + 4);
        }
        else
        {
            var vb = Vector128.Create(beta);
            float* r0 = c + 0 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c00, va, Vector128.Load(r0) * vb), r0); Vector128.Store(Vector128.MultiplyAddEstimate(c01, va, Vector128.Load(r0 + 4) * vb), r0 + 4);
            float* r1 = c + 1 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c10, va, Vector128.Load(r1) * vb), r1); Vector128.Store(Vector128.MultiplyAddEstimate(c11, va, Vector128.Load(r1 + 4) * vb), r1 + 4);
            float* r2 = c + 2 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c20, va, Vector128.Load(r2) * vb), r2); Vector128.Store(Vector128.MultiplyAddEstimate(c21, va, Vector128.Load(r2 + 4) * vb), r2 + 4);
            float* r3 = c + 3 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c30, va, Vector128.Load(r3) * vb), r3); Vector128.Store(Vector128.MultiplyAddEstimate(c31, va, Vector128.Load(r3 + 4) * vb), r3 + 4);
            float* r4 = c + 4 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c40, va, Vector128.Load(r4) * vb), r4); Vector128.Store(Vector128.MultiplyAddEstimate(c41, va, Vector128.Load(r4 + 4) * vb), r4 + 4);
            float* r5 = c + 5 * ldc;
            Vector128.Store(Vector128.MultiplyAddEstimate(c50, va, Vector128.Load(r5) * vb), r5); Vector128.Store(Vector128.MultiplyAddEstimate(c51, va, Vector128.Load(r5 + 4) * vb), r5 + 4);
        }
    }
}
