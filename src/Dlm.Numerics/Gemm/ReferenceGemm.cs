namespace Dlm.Numerics.Gemm;

/// <summary>
/// The plain scalar GEMM: one float dot product per element of C, in the order the definition
/// reads. <see cref="ManagedGemm"/> uses it for tiny products (where packing costs more than it
/// saves) and tests hold the tiled kernels against it.
/// </summary>
internal static unsafe class ReferenceGemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        nint aRow = transA ? 1 : lda, aStep = transA ? lda : 1;
        nint bCol = transB ? ldb : 1, bStep = transB ? 1 : ldb;
        for (int i = 0; i < m; i++)
        {
            float* ci = c + i * ldc;
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                float* ap = a + i * aRow;
                float* bp = b + j * bCol;
                for (int p = 0; p < k; p++) s += ap[p * aStep] * bp[p * bStep];
                // beta = 0 overwrites: C may hold NaN or garbage that must not leak through.
                ci[j] = beta == 0f ? alpha * s : alpha * s + beta * ci[j];
            }
        }
    }

    /// <summary>C = beta·C, with beta = 0 clearing (used when the product is empty or alpha = 0).</summary>
    public static void Scale(int m, int n, float beta, float* c, nint ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }
}
