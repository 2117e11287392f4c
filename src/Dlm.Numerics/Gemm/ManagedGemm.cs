using System.Numerics.Tensors;

namespace Dlm.Numerics.Gemm;

/// <summary>
/// Pure managed GEMM: parallel over rows of C, SIMD over the contiguous dimension through
/// <see cref="TensorPrimitives"/>. Used when OpenBLAS is not installed or when forced with
/// <c>DLM_BLAS=managed</c>.
/// </summary>
public sealed class ManagedGemm : IGemm
{
    /// <summary>Rows of C handled by one parallel work item; keeps small products on one thread.</summary>
    private const int RowsPerTask = 16;

    /// <inheritdoc />
    public string Name => "managed";

    /// <inheritdoc />
    public unsafe void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArgs.Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new Job(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            int tasks = (m + RowsPerTask - 1) / RowsPerTask;
            if (tasks == 1 || (long)m * n * k < 32 * 1024)
                for (int t = 0; t < tasks; t++) job.Rows(t * RowsPerTask, Math.Min(m, (t + 1) * RowsPerTask));
            else
                Parallel.For(0, tasks, t => job.Rows(t * RowsPerTask, Math.Min(job.M, (t + 1) * RowsPerTask)));
        }
    }

    private readonly unsafe struct Job(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public int M => m;

        public void Rows(int start, int end)
        {
            // A row of op(A) is contiguous only without transA; gather it otherwise.
            float[]? gathered = transA ? new float[k] : null;
            for (int i = start; i < end; i++)
            {
                var cRow = new Span<float>(c + (long)i * ldc, n);
                ReadOnlySpan<float> aRow;
                if (gathered is null) aRow = new ReadOnlySpan<float>(a + (long)i * lda, k);
                else
                {
                    for (int p = 0; p < k; p++) gathered[p] = a[(long)p * lda + i];
                    aRow = gathered;
                }

                if (beta == 0f) cRow.Clear();
                else if (beta != 1f) TensorPrimitives.Multiply(cRow, beta, cRow);

                if (transB)
                {
                    // C[i, j] += alpha * dot(op(A)[i, :], B[j, :]); both rows contiguous.
                    for (int j = 0; j < n; j++)
                        cRow[j] += alpha * TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                }
                else
                {
                    // C[i, :] += alpha * A[i, p] * B[p, :]; rows of B contiguous.
                    for (int p = 0; p < k; p++)
                    {
                        float s = alpha * aRow[p];
                        if (s == 0f) continue;
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + (long)p * ldb, n), s, cRow, cRow);
                    }
                }
            }
        }
    }
}
